/**
 * The only entry point: typed config → server → listen; SIGTERM/SIGINT drain and exit 0.
 * Safety net: an unhandled rejection or uncaught exception is logged with its message and
 * stack, then the process drains (rooms dispose and persist, the database stops last) and
 * exits 1, so a supervisor restarts it; the next start's recovery closes what was left live.
 */
import { ConfigError, loadConfig } from './config';
import { describe } from './db/embeddedPostgres';
import { logger } from './logger';
import { type RunningServer, startServer } from './server';

const DRAIN_LIMIT_MS = 30_000;

let server: RunningServer | undefined;
let exiting = false;

/** Error fields for a log line: message, name, code, stack, cause; never `undefined`. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; cause?: unknown };
    return {
      error: e.message || e.name,
      name: e.name,
      ...(e.code !== undefined ? { code: e.code } : {}),
      stack: e.stack,
      ...(e.cause !== undefined ? { cause: errorFields(e.cause) } : {}),
    };
  }
  return { error: describe(err), thrown: typeof err };
}

/** Drains (when a server is up) and exits with `code`; a second call while exiting is ignored. */
function drainAndExit(code: number, reason: string): void {
  if (exiting) return;
  exiting = true;
  const force = setTimeout(() => {
    logger.error({ reason }, 'shutdown took too long, exiting');
    process.exit(1);
  }, DRAIN_LIMIT_MS);
  force.unref();
  const drained = server ? server.stop() : Promise.resolve();
  drained.then(
    () => process.exit(code),
    (err) => {
      logger.error({ ...errorFields(err), reason }, 'shutdown failed');
      process.exit(1);
    },
  );
}

process.on('unhandledRejection', (reason) => {
  logger.fatal(
    { ...errorFields(reason), event: 'unhandledRejection' },
    'unhandled promise rejection: draining and exiting',
  );
  drainAndExit(1, 'unhandledRejection');
});
process.on('uncaughtException', (err, origin) => {
  logger.fatal({ ...errorFields(err), event: origin }, 'uncaught exception: draining and exiting');
  drainAndExit(1, 'uncaughtException');
});

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  if (config.firstStartOperatorPassword) {
    // Printed once, on the start that generated it (kept in DATA_DIR/secrets.json, never logged again).
    process.stdout.write(
      `First start: generated secrets in ${config.DATA_DIR}/secrets.json. Operator login: ${config.OPERATOR_USERNAME} / ${config.firstStartOperatorPassword}\n`,
    );
  }
  const shutdown = (signal: string) => {
    if (exiting) return;
    logger.info({ signal }, 'shutting down');
    drainAndExit(0, signal);
  };
  // Registered before the server starts, so a signal during start is a clean stop too.
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // A signal during start exits at once; the embedded database's watchdog stops it.
  server = await startServer(config);
}

main().catch((err) => {
  logger.fatal(errorFields(err), 'failed to start');
  process.exit(1);
});
