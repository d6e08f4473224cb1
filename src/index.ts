/** The only entry point: typed config → server → listen; SIGTERM/SIGINT drain and exit 0. */
import { ConfigError, loadConfig } from './config';
import { logger } from './logger';
import { startServer } from './server';

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
  const server = await startServer(config);
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long, exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    server.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  logger.fatal(
    { error: err instanceof Error ? err.message : String(err), stack: (err as Error)?.stack },
    'failed to start',
  );
  process.exit(1);
});
