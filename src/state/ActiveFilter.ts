import { schema, t } from '@colyseus/schema';

/** One stream filter a host has applied; `params` is the validated parameter object as JSON. */
export const ActiveFilter = schema(
  {
    filterId: t.string().default(''),
    name: t.string().default(''),
    category: t.string().default(''),
    params: t.string().default('{}'),
    appliedAt: t.number().default(0),
  },
  'ActiveFilter',
);
export type ActiveFilter = InstanceType<typeof ActiveFilter>;

/** A host's active filters, keyed by category (one per category). */
export const HostFilters = schema(
  {
    byCategory: t.map(ActiveFilter),
  },
  'HostFilters',
);
export type HostFilters = InstanceType<typeof HostFilters>;
