/**
 * The one way a rule answers: `Result<T>` is yes (with a value) or no (with a stable code and a
 * message for the client). Feature models are `decide(state, command, now) → Decision`: the next
 * state and the effects the room performs (commit, broadcast, notify, schedule). Rules never
 * throw for an expected "no" and never touch I/O; the adapter (a room or a route) turns a
 * refusal into an `AppError` with `orThrow`.
 */
import { AppError, type ErrorCode } from '../errors';

export interface Refusal {
  readonly code: ErrorCode;
  readonly message: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Refusal };

/** What a `decide` returns when it accepts a command. */
export interface Outcome<S, E> {
  readonly state: S;
  readonly effects: readonly E[];
}
export type Decision<S, E> = Result<Outcome<S, E>>;

export function accept<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function refuse(code: ErrorCode, message: string): { readonly ok: false; readonly error: Refusal } {
  return { ok: false, error: { code, message } };
}

/** Shorthand for an accepted decision. */
export function decided<S, E>(state: S, effects: readonly E[] = []): Decision<S, E> {
  return { ok: true, value: { state, effects } };
}

/** For adapters: the value, or the refusal as an AppError (sent to one client / answered over HTTP). */
export function orThrow<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw new AppError(r.error.code, r.error.message);
}

/** Compile-time exhaustiveness for `switch` over a discriminated union. */
export function unreachable(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
