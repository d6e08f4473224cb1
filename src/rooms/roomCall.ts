/**
 * HTTP → room calls. `matchMaker.remoteRoomCall` reaches a room on any process, but
 * across processes a thrown error arrives only as a "remote room timed out" message,
 * so room methods exposed to HTTP never throw: they return an envelope built by
 * `exposed()`, and `callRoom()` turns it back into the value or the AppError.
 */
import { matchMaker } from '@colyseus/core';
import { ctx } from '../context';
import { AppError, ErrorCode, notFound, toAppError } from '../errors';

export type Envelope<T> =
  | { ok: true; value: T }
  | { ok: false; error: { code: ErrorCode; message: string; status: number } };

/** Wraps a room method's work so its outcome, success or AppError, crosses processes intact. */
export async function exposed<T>(fn: () => T | Promise<T>): Promise<Envelope<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    const e = toAppError(err) ?? new AppError(ErrorCode.INTERNAL, 'Internal error');
    if (e.code === ErrorCode.INTERNAL) ctx().logger.error({ err }, 'room call failed');
    return { ok: false, error: { code: e.code, message: e.message, status: e.status } };
  }
}

/**
 * True when a room with this id is alive on some process (and, given `kinds`, is one of those room
 * names: a room's id is its row's UUID, so a battle id sent to a shopping route must not reach the battle).
 */
export async function roomExists(roomId: string, kinds?: readonly string[]): Promise<boolean> {
  const local = matchMaker.getLocalRoomById(roomId);
  if (local) return !kinds || kinds.includes(local.roomName);
  // One lookup by id (Redis HGET), not a query over every listed room (HGETALL).
  const found = await matchMaker.driver.findOne({ roomId });
  return !!found && (!kinds || kinds.includes(found.name));
}

/** Rooms that host a stream (filters, REST signaling and quality reports reach any of them). */
export const MEDIA_ROOMS = ['live_stream', 'pk_battle', 'multihost'] as const;
export const STREAM_ROOMS = [...MEDIA_ROOMS, 'live_shopping'] as const;

/** Names of R's methods that were built with `exposed()` (the only ones HTTP may call). */
export type ExposedMethod<R> = {
  [K in keyof R]-?: R[K] extends (...args: never[]) => Promise<Envelope<unknown>> ? K : never;
}[keyof R] &
  string;
type ArgsOf<F> = F extends (...args: infer A) => unknown ? A : never;
type ValueOf<F> = F extends (...args: never[]) => Promise<Envelope<infer T>> ? T : never;

/**
 * Typed calls into one kind of room: `roomCaller<PkBattleRoom>('Battle').call(id, 'rpcAccept', userId)`.
 * A wrong method name or argument is a compile error. `what` names the room in a 404.
 */
export interface RoomCaller<R> {
  call<M extends ExposedMethod<R>>(roomId: string, method: M, ...args: ArgsOf<R[M]>): Promise<ValueOf<R[M]>>;
  /** Same, for a caller that has just seen the room alive (skips a second registry lookup on a hot path). */
  callLive<M extends ExposedMethod<R>>(roomId: string, method: M, ...args: ArgsOf<R[M]>): Promise<ValueOf<R[M]>>;
}

/**
 * `kinds`: the room name(s) this caller may reach (`'pk_battle'`, or every media room for the filters API);
 * a room of another kind with that id counts as gone. `whenGone(roomId)`: the error to answer when no such
 * room exists (default 404 `what`), e.g. a route whose room id is its row's id reads the row once to say
 * 409 "Battle is ended" instead.
 */
export function roomCaller<R>(
  kinds: string | readonly string[],
  what: string,
  whenGone?: (roomId: string) => Promise<AppError>,
): RoomCaller<R> {
  const names = typeof kinds === 'string' ? [kinds] : kinds;
  const target: Target = {
    kinds: names,
    what,
    gone: async (roomId) => (whenGone ? await whenGone(roomId) : notFound(what)),
  };
  return {
    call: (roomId, method, ...args) => callRoom(roomId, method, args, target, false),
    callLive: (roomId, method, ...args) => callRoom(roomId, method, args, target, true),
  };
}

interface Target {
  kinds: readonly string[];
  what: string;
  gone: (roomId: string) => Promise<AppError>;
}

/**
 * Calls an `exposed()` method of room `roomId` (on this process or another) and returns
 * its value or throws its AppError; a room that is gone is 404 `what`. Reached through `roomCaller`.
 */
async function callRoom<T>(
  roomId: string,
  method: string,
  args: unknown[],
  { kinds, what, gone }: Target,
  existsChecked: boolean,
): Promise<T> {
  // A call to a gone remote room would wait for the IPC timeout: check first, unless the caller just did
  // (with the same kinds).
  if (!existsChecked && !(await roomExists(roomId, kinds))) throw await gone(roomId);
  let envelope: Envelope<T>;
  try {
    envelope = (await matchMaker.remoteRoomCall(roomId, method, args)) as Envelope<T>;
  } catch (err) {
    if (!(await roomExists(roomId, kinds))) throw await gone(roomId);
    throw toAppError(err) ?? new AppError(ErrorCode.UNAVAILABLE, `${what} did not answer`);
  }
  if (!envelope || typeof envelope !== 'object' || !('ok' in envelope)) {
    throw new AppError(ErrorCode.INTERNAL, `${method} is not an exposed room method`);
  }
  if (envelope.ok) return envelope.value;
  throw new AppError(envelope.error.code, envelope.error.message, envelope.error.status);
}
