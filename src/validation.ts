/** Schema-first input checking shared by HTTP bodies and room messages. */
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
export const idempotencyKey = z.string().min(1).max(128);
export const isUuid = (s: string) => uuid.safeParse(s).success;

/** ?page=&limit= with sane bounds. */
export const pagination = z.object({
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
