/**
 * The stream-filter channel: the events every host room broadcasts when a host's filters change,
 * their payloads, and the operation the filters API sends a host room (`rpcStreamFilter`).
 * REST bodies are parsed in src/http/filterRoutes.ts.
 */

export const StreamFilterEvents = {
  applied: 'stream-filter:applied',
  removed: 'stream-filter:removed',
} as const;

/** A filter as a host room holds it (the parameters already validated and filled with defaults). */
export interface ActiveFilterData {
  filterId: string;
  name: string;
  category: string;
  params: Record<string, unknown>;
}

/** `stream-filter:applied` */
export interface FilterAppliedPayload extends ActiveFilterData {
  roomId: string;
  userId: string;
}

/** `stream-filter:removed` */
export interface FilterRemovedPayload {
  roomId: string;
  userId: string;
  filterId: string;
  category: string;
}

/** What the filters API asks a host room to do. */
export type StreamFilterOp =
  | { kind: 'apply'; userId: string; filter: ActiveFilterData }
  | { kind: 'remove'; userId: string; filterId: string };
