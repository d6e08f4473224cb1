import pino from 'pino';

/** Fields of database errors that carry row values (SQL parameters can hold password hashes). */
const SECRET_ERROR_FIELDS = ['parameters', 'detail', 'where', 'internalQuery'] as const;

/** pino's error serializer, minus SQL parameters and row details (also on a nested driverError). */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  for (const f of SECRET_ERROR_FIELDS) delete out[f];
  const driver = out.driverError;
  if (driver && typeof driver === 'object') {
    const d = { ...(driver as Record<string, unknown>) };
    for (const f of SECRET_ERROR_FIELDS) delete d[f];
    out.driverError = d;
  }
  return out;
}

/** Structured JSON logs on stdout. Level from LOG_LEVEL (set by the entry point). */
export const logger = pino({
  level: 'info', // set from config.LOG_LEVEL at start
  base: { service: 'live-arena' },
  redact: ['req.headers.authorization', 'password', 'token'],
  serializers: { err: serializeError, error: serializeError },
});
export type Logger = typeof logger;
