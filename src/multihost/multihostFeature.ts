import { MhEvents } from '../domain/multihost/protocol';
import type { Feature } from '../feature';
import { multihostRoutes } from '../http/multihostRoutes';
import { MultiHostRoom } from '../rooms/MultiHostRoom';
import { roomExists } from '../rooms/roomCall';
import { multiHostStore } from '../stores/multiHostStore';

/** Multi-host sessions: the `multihost` room and /api/multihost. */
export const multihostFeature: Feature = {
  name: 'multihost',
  rooms: { multihost: MultiHostRoom },
  routes: (c) => [{ path: '/multihost', router: multihostRoutes(c) }],
  ready: async (c) => {
    const closed = await multiHostStore().recoverOrphans(roomExists);
    if (closed) c.logger.warn({ closed }, 'multi-host sessions left live by a stopped process closed as interrupted');
    // Their pending invitations and join requests are not dropped silently: closed, and each user told.
    for (const i of await multiHostStore().closeOrphanInvitations()) {
      await c.notifier.notify(i.userId, MhEvents.invitationExpired, {
        sessionId: i.sessionId,
        roomId: null,
        kind: i.kind,
        reason: 'interrupted',
      });
    }
  },
};
