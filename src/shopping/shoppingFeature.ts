import type { Feature } from '../feature';
import { productRoutes, shopAdminRoutes, shoppingRoutes } from '../http/shoppingRoutes';
import { LiveShoppingRoom } from '../rooms/LiveShoppingRoom';
import { roomExists } from '../rooms/roomCall';
import { shoppingStore } from '../stores/shoppingStore';

/** Live shopping: the `live_shopping` room, /api/products, /api/live-shopping. */
export const shoppingFeature: Feature = {
  name: 'live-shopping',
  rooms: { live_shopping: LiveShoppingRoom },
  routes: (c) => [
    { path: '/products', router: productRoutes(c) },
    { path: '/live-shopping', router: shoppingRoutes(c) },
    { path: '/admin/live-shopping', router: shopAdminRoutes(c) },
  ],
  // The payment side's callback authenticates with X-Service-Key (requireService), not a user token.
  servicePaths: [/^\/live-shopping\/orders\/[^/]+\/paid\/?$/],
  ready: async (c) => {
    const r = await shoppingStore().recoverOrphans(roomExists);
    if (r.closed || r.released) {
      c.logger.warn(
        r,
        'shopping sessions left live by a stopped process closed as interrupted; unpaid reservations released',
      );
    }
  },
};
