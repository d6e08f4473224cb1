import type { Feature } from '../feature';
import { filterRoutes } from '../http/filterRoutes';
import { filterStore } from '../stores/filterStore';

/** Stream filters: the catalog (seeded at start), the coin-unlock marketplace, /api/stream-filters. */
export const filtersFeature: Feature = {
  name: 'stream-filters',
  routes: (c) => [{ path: '/stream-filters', router: filterRoutes(c) }],
  start: async () => {
    await filterStore().seed();
  },
};
