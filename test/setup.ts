/**
 * Root hooks: one server per mocha run (Colyseus' matchmaker is process-global), on an
 * ephemeral embedded PostgreSQL, or on DATABASE_URL / REDIS_URL when they are set (CI).
 * Each run works in its own PostgreSQL schema, dropped at the end, so runs never see
 * each other's rows.
 */
import { bootTestServer, stopTestServer } from './helpers';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    await bootTestServer();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopTestServer();
  },
};
