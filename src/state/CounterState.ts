import { schema, t } from '@colyseus/schema';

export const CounterState = schema(
  {
    count: t.number().default(0),
    clients: t.number().default(0),
  },
  'CounterState',
);
export type CounterState = InstanceType<typeof CounterState>;
