import type { Feature } from './feature';
import { adminRoutes, walletRoutes } from './http/walletRoutes';
import { authRoutes } from './http/authRoutes';
import { InboxRoom } from './rooms/InboxRoom';

/** Auth, wallet, operator API and the inbox (the load-test `counter` room is added by roomDefinitions). */
export const coreFeature: Feature = {
  name: 'core',
  rooms: { inbox: InboxRoom },
  routes: (c) => [
    { path: '/auth', router: authRoutes(c) },
    { path: '/wallet', router: walletRoutes(c) },
    { path: '/admin', router: adminRoutes(c) },
  ],
  publicPaths: [/^\/auth\/(register|login)\/?$/],
};
