import pino from 'pino';

/** Structured JSON logs on stdout. Level from LOG_LEVEL (set by the entry point). */
export const logger = pino({
  level: 'info', // set from config.LOG_LEVEL at start
  base: { service: 'live-arena' },
  redact: ['req.headers.authorization', 'password', 'token'],
});
export type Logger = typeof logger;
