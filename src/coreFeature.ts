import type { Feature } from './features';
import { adminRoutes, walletRoutes } from './http/walletRoutes';
import { authRoutes } from './http/authRoutes';
import { CounterRoom } from './rooms/CounterRoom';
import { InboxRoom } from './rooms/InboxRoom';

/** Auth, wallet, operator API, the inbox and the load-test baseline room. */
export const coreFeature: Feature = {
  name: 'core',
  rooms: { inbox: InboxRoom, counter: CounterRoom },
  routes: (c) => [
    { path: '/auth', router: authRoutes(c) },
    { path: '/wallet', router: walletRoutes(c) },
    { path: '/admin', router: adminRoutes(c) },
  ],
  publicPaths: [/^\/auth\/(register|login)\/?$/],
};
