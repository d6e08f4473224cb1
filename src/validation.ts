/** Schema-first input checking shared by HTTP bodies and room messages. */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { badRequest } from './errors';

export function formatZodError(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** Parses or throws a 400 naming the offending field. */
export function parse<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  const r = schema.safeParse(data ?? {});
  if (!r.success) throw badRequest(formatZodError(r.error));
  return r.data;
}

export const uuid = z.string().uuid();
/** Longest idempotency key accepted (header `Idempotency-Key` or body `idempotencyKey`/`requestId`). */
export const IDEMPOTENCY_KEY_MAX = 128;
export const idempotencyKey = z.string().min(1).max(IDEMPOTENCY_KEY_MAX);
/** An idempotency key a client may leave out: without one each request is a new operation. */
export const optionalKey = idempotencyKey.optional();
export const isUuid = (s: string) => uuid.safeParse(s).success;

/** ?page=&limit= with sane bounds. */
export const pagination = z.object({
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/**
 * The idempotency key of a money request, as payment APIs take it: the `Idempotency-Key` header or
 * the body's `idempotencyKey` (else `requestId`); header and body must agree when both are sent. Without
 * one the server makes a fresh key, so the request is a new operation. Keys are 1-128 characters (400
 * otherwise). Callers scope the key per user and per operation (orders, gifts of a battle, unlocks).
 */
export function requestKey(header: string | string[] | undefined, body: unknown): string {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const check = (name: string, v: unknown): string | undefined => {
    if (v === undefined) return undefined;
    const r = idempotencyKey.safeParse(v);
    if (!r.success) throw badRequest(`${name}: must be a string of 1-${IDEMPOTENCY_KEY_MAX} characters`);
    return r.data;
  };
  const fromHeader = check('Idempotency-Key', Array.isArray(header) ? header[0] : header);
  const fromBody = check('idempotencyKey', b.idempotencyKey) ?? check('requestId', b.requestId);
  if (fromHeader !== undefined && fromBody !== undefined && fromHeader !== fromBody)
    throw badRequest('Idempotency-Key: differs from the idempotency key in the body');
  return fromHeader ?? fromBody ?? randomUUID();
}
