/** Issue 9 §6-7: generated development secrets, retired constants, login cost, logs, load-test room. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { TokenService } from '../../src/auth/tokens';
import { scryptStats } from '../../src/auth/passwords';
import { ConfigError, loadConfig, RETIRED_SECRETS } from '../../src/config';
import { features, roomDefinitions } from '../../src/features';
import { serializeError } from '../../src/logger';
import { api, registerUser } from '../helpers';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'live-arena-secrets-'));

describe('Secrets and small leaks', () => {
  it('two fresh data folders get different random secrets, kept across restarts, password shown once', () => {
    const [d1, d2] = [tmp(), tmp()];
    try {
      const a = loadConfig({ DATA_DIR: d1 });
      const b = loadConfig({ DATA_DIR: d2 });
      assert.notEqual(a.jwtSecret, b.jwtSecret);
      assert.notEqual(a.operatorPassword, b.operatorPassword);
      for (const c of [a, b]) {
        assert.ok(!RETIRED_SECRETS.includes(c.jwtSecret) && !RETIRED_SECRETS.includes(c.operatorPassword));
        assert.ok(c.jwtSecret.length >= 32);
      }
      assert.equal(a.firstStartOperatorPassword, a.operatorPassword, 'printed on the first start');
      const again = loadConfig({ DATA_DIR: d1 });
      assert.equal(again.jwtSecret, a.jwtSecret);
      assert.equal(again.operatorPassword, a.operatorPassword);
      assert.equal(again.firstStartOperatorPassword, undefined, 'and never again');
      assert.equal((fs.statSync(path.join(d1, 'secrets.json')).mode & 0o777).toString(8), '600');
      // Explicit settings win (tests and production set them).
      assert.equal(loadConfig({ DATA_DIR: d1, JWT_SECRET: 'x'.repeat(32) }).jwtSecret, 'x'.repeat(32));
    } finally {
      for (const d of [d1, d2]) fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('a token signed with the old constant secret is never accepted', () => {
    const d = tmp();
    try {
      const c = loadConfig({ DATA_DIR: d });
      const forged = jwt.sign({ name: 'admin' }, 'dev-only-insecure-jwt-secret-change-me', { subject: 'x' });
      assert.throws(() => new TokenService(c.jwtSecret, 60).verify(forged), /Invalid token/);
      assert.throws(
        () => loadConfig({ DATA_DIR: d, JWT_SECRET: 'dev-only-insecure-jwt-secret-change-me' }),
        (e: Error) => e instanceof ConfigError && /JWT_SECRET/.test(e.message),
      );
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('login for an unknown username pays the same scrypt as a wrong password', async () => {
    const u = await registerUser('timing');
    for (const username of [u.username, 'no_such_user_xyz']) {
      const before = scryptStats.calls;
      const res = await api('POST', '/api/auth/login', { body: { username, password: 'wrong-password' } });
      assert.equal(res.status, 401);
      assert.equal(scryptStats.calls - before, 1, username);
    }
  });

  it('error logs carry no SQL parameters or row details', () => {
    const err = Object.assign(new Error('duplicate key'), {
      query: 'INSERT INTO users (username, password_hash) VALUES ($1, $2)',
      parameters: ['bob', 'scrypt$14$salt$hash'],
      detail: 'Key (username)=(bob) already exists.',
      driverError: { code: '23505', detail: 'Key (username)=(bob)', parameters: ['bob'] },
    });
    const out = JSON.stringify(serializeError(err));
    assert.ok(!out.includes('scrypt$') && !out.includes('(bob)'), out);
    assert.ok(out.includes('duplicate key'));
  });

  it('the load-test counter room is registered only with LOADTEST_ROOMS', () => {
    assert.ok(!('counter' in roomDefinitions(features, { LOADTEST_ROOMS: false })));
    assert.ok('counter' in roomDefinitions(features, { LOADTEST_ROOMS: true }));
    assert.equal(
      loadConfig({ DATA_DIR: os.tmpdir(), JWT_SECRET: 'y'.repeat(32), OPERATOR_PASSWORD: 'z'.repeat(12) })
        .LOADTEST_ROOMS,
      false,
    );
    const harness = fs.readFileSync(path.join(__dirname, '..', '..', 'loadtest', 'lib', 'serverProcess.ts'), 'utf8');
    assert.match(harness, /LOADTEST_ROOMS: 'true'/);
  });
});
