import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig as load } from '../../src/config';

// Generated development secrets go to a scratch folder, not the checkout's .data.
const DATA_DIR = path.join(os.tmpdir(), `live-arena-config-test-${process.pid}`);
const loadConfig = (env: Record<string, string>) => load({ DATA_DIR, ...env });

describe('Config', () => {
  it('has working defaults with nothing set', () => {
    const c = loadConfig({});
    assert.equal(c.PORT, 2567);
    assert.equal(c.DATABASE_URL, undefined);
    assert.equal(c.REDIS_URL, undefined);
    assert.equal(c.SIGNUP_COINS, 1000);
  });

  it('names the bad variable', () => {
    assert.throws(
      () => loadConfig({ PORT: 'abc' }),
      (e: Error) => e instanceof ConfigError && /PORT/.test(e.message),
    );
    assert.throws(
      () => loadConfig({ PK_HOST_SHARE: '1.5' }),
      (e: Error) => /PK_HOST_SHARE/.test(e.message),
    );
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'not a url' }),
      (e: Error) => /DATABASE_URL/.test(e.message),
    );
  });

  it('refuses to start in production without secrets', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production' }),
      (e: Error) => /JWT_SECRET/.test(e.message),
    );
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }),
      (e: Error) => /OPERATOR_PASSWORD/.test(e.message),
    );
    const ok = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), OPERATOR_PASSWORD: 'y'.repeat(12) });
    assert.equal(ok.jwtSecret, 'x'.repeat(32));
  });

  it('needs TURN credentials with a TURN server', () => {
    assert.throws(
      () => loadConfig({ TURN_SERVER_URL: 'turn:127.0.0.1:3478' }),
      (e: Error) => /TURN_SERVER_URL/.test(e.message),
    );
    assert.doesNotThrow(() => loadConfig({ TURN_SERVER_URL: 'turn:127.0.0.1:3478', TURN_SHARED_SECRET: 's3cret' }));
  });
});
