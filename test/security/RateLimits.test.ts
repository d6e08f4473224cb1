/** Issue 9 §4, §7: reads are rate-limited, operator guesses are limited, and with Redis the limits are shared. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import express from 'express';
import type { AppContext } from '../../src/context';
import { PresenceRateLimitStore, readRateLimit, requireOperator } from '../../src/http/middleware';
import { server } from '../helpers';

/** A tiny app with `mount` on /x, on a context whose config is overridden; answers its base URL. */
async function app(configPatch: Record<string, unknown>, mount: (c: AppContext) => express.RequestHandler[]) {
  const base = server().context;
  // Its own namespace: with Redis, counters are keyed by schema, and other suites' requests share this IP.
  const schema = `rl_${randomBytes(4).toString('hex')}`;
  const c: AppContext = { ...base, config: { ...base.config, DATABASE_SCHEMA: schema, ...configPatch } };
  const a = express();
  a.use('/x', ...mount(c), (_req, res) => {
    res.json({ ok: true });
  });
  const s = http.createServer(a);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => s.close() };
}

describe('Rate limits', () => {
  it('GET requests are limited per user or IP (RATE_LIMIT_READ_MAX); writes are not counted there', async () => {
    const t = await app({ RATE_LIMIT_READ_MAX: 3 }, (c) => [readRateLimit(c)]);
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${t.url}/x`)).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      assert.equal((await fetch(`${t.url}/x`, { method: 'POST' })).status, 200);
    } finally {
      t.close();
    }
  });

  it('failed operator logins are limited: after OPERATOR_AUTH_MAX_FAILURES even the right password waits', async () => {
    const t = await app({ OPERATOR_AUTH_MAX_FAILURES: 3 }, (c) => [requireOperator(c)]);
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    const right = basic(server().context.config.OPERATOR_USERNAME, server().context.config.operatorPassword);
    try {
      assert.equal((await fetch(`${t.url}/x`, { headers: right })).status, 200);
      for (let i = 0; i < 3; i++)
        assert.equal((await fetch(`${t.url}/x`, { headers: basic('admin', `guess${i}`) })).status, 401);
      assert.equal((await fetch(`${t.url}/x`, { headers: basic('admin', 'guess4') })).status, 429);
      assert.equal((await fetch(`${t.url}/x`, { headers: right })).status, 429);
    } finally {
      t.close();
    }
  });

  describe('on Redis', () => {
    before(function () {
      if (!process.env.REDIS_URL) this.skip(); // the Redis pass of CI runs it
    });

    it('two processes’ limiters share one counter, so N processes do not give N× the limit', async () => {
      const { RedisPresence } = await import('@colyseus/redis-presence');
      const p1 = new RedisPresence(process.env.REDIS_URL!);
      const p2 = new RedisPresence(process.env.REDIS_URL!);
      const prefix = `rl:test:${randomBytes(4).toString('hex')}:`;
      const s1 = new PresenceRateLimitStore(p1, prefix);
      const s2 = new PresenceRateLimitStore(p2, prefix);
      for (const s of [s1, s2]) s.init({ windowMs: 10_000 } as never);
      try {
        assert.equal((await s1.increment('ip')).totalHits, 1);
        assert.equal((await s2.increment('ip')).totalHits, 2);
        assert.equal((await s1.increment('ip')).totalHits, 3);
        assert.equal((await s2.get('ip'))?.totalHits, 3);
        await s2.resetKey('ip');
        assert.equal(await s1.get('ip'), undefined);
      } finally {
        p1.shutdown();
        p2.shutdown();
      }
    });
  });
});
