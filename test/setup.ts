/**
 * Root hooks: one server per mocha run (Colyseus' matchmaker is process-global), on an
 * ephemeral embedded PostgreSQL, or on DATABASE_URL / REDIS_URL when they are set (CI).
 * Each run works in its own PostgreSQL schema, dropped at the end, so runs never see
 * each other's rows.
 *
 * Mocha runs without `--exit`: when the last test is done the process must end by itself,
 * so a socket, timer or child process a test (or the server) leaves open shows up here
 * instead of being cut off silently.
 */
import { bootTestServer, stopTestServer } from './helpers';

/** How long after the root `afterAll` the process may take to end on its own. */
const EXIT_GRACE_MS = 20_000;

/**
 * If the process is still alive `EXIT_GRACE_MS` after everything stopped, something keeps the
 * event loop busy: name it (`process.getActiveResourcesInfo()`: UDPWrap, TCPWRAP, Timeout, …)
 * and exit 1, so a leak fails the run with a diagnosis instead of hanging it. The timer is
 * unref'd: it never keeps the process alive itself.
 */
function failIfStillRunning(): void {
  setTimeout(() => {
    const resources = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    const counts = new Map<string, number>();
    for (const r of resources) counts.set(r, (counts.get(r) ?? 0) + 1);
    console.error(
      `\nThe test process did not exit ${EXIT_GRACE_MS / 1000} s after the last test; still open: ${[...counts]
        .map(([r, n]) => `${r} x${n}`)
        .join(', ')}. Something a test or the server started was not closed.`,
    );
    // Mocha sets the exit code (its failure count) in an 'exit' listener of its own; this one runs after it.
    process.on('exit', () => {
      process.exitCode = 1;
    });
    process.exit(1);
  }, EXIT_GRACE_MS).unref();
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    await bootTestServer();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopTestServer();
    failIfStillRunning();
  },
};
