import type { Feature } from '../feature';
import { giftRoutes, pkAdminRoutes, pkRoutes } from '../http/pkRoutes';
import { PkBattleRoom } from '../rooms/PkBattleRoom';
import { roomExists } from '../rooms/roomCall';
import { pkStore } from '../stores/pkStore';

/** PK battles: the `pk_battle` room, /api/pk-battles, /api/gifts. */
export const pkFeature: Feature = {
  name: 'pk-battles',
  rooms: { pk_battle: PkBattleRoom },
  routes: (c) => [
    { path: '/gifts', router: giftRoutes(c) },
    { path: '/pk-battles', router: pkRoutes(c) },
    { path: '/admin/pk-battles', router: pkAdminRoutes(c) },
  ],
  start: async () => {
    await pkStore().seedGifts();
  },
  ready: async (c) => {
    const closed = await pkStore().recoverOrphans(roomExists);
    if (closed) c.logger.warn({ closed }, 'pk battles left live by a stopped process closed as interrupted');
  },
};
