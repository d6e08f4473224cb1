/**
 * Fault suite: a server process killed the way real ones die (kill -9, an unhandled
 * rejection), then started again. Nothing acknowledged is lost, nothing is doubled, nobody
 * stays locked out, and the next start needs no manual step.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../src/db/embeddedPostgres';
import { api, type TestUser, waitFor } from '../helpers';
import {
  creditOn,
  dropFaultSchema,
  faultEnv,
  isAlive,
  kill9,
  newSchema,
  parentOf,
  postmasterPid,
  type ServerProcess,
  service,
  sql,
  startServerProcess,
  usersOn,
} from './faultKit';

async function liveBattleOn(p: ServerProcess, a: TestUser, b: TestUser) {
  const created = await api('POST', '/api/pk-battles', {
    baseUrl: p.url,
    token: a.token,
    body: { opponent: b.id, duration: 5 },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const battleId = created.body.data.battleId as string;
  const acc = await api('POST', `/api/pk-battles/${battleId}/accept`, { baseUrl: p.url, token: b.token });
  assert.equal(acc.status, 200, JSON.stringify(acc.body));
  await waitFor(
    async () =>
      (await api('GET', `/api/pk-battles/${battleId}`, { baseUrl: p.url, token: a.token })).body.data?.status ===
      'live',
    10_000,
    'battle live',
  );
  return battleId;
}

/** Viewers gift in a loop over HTTP until stopped; the requestIds the server acknowledged are kept. */
function giftStorm(p: ServerProcess, battleId: string, viewers: TestUser[], to: [string, string]) {
  const acked: Array<{ sender: string; requestId: string }> = [];
  let stop = false;
  const loops = viewers.map(async (v, k) => {
    for (let i = 0; !stop; i++) {
      const requestId = `g-${k}-${i}`;
      const r = await api('POST', `/api/pk-battles/${battleId}/gift`, {
        baseUrl: p.url,
        token: v.token,
        body: { giftId: 'rose', to: to[i % 2], count: 1 + (i % 3), requestId },
      }).catch(() => null);
      if (!r) return; // the server is gone
      if (r.status < 300) acked.push({ sender: v.id, requestId });
    }
  });
  return {
    acked,
    stop: async () => {
      stop = true;
      await Promise.all(loops);
    },
  };
}

describe('Faults: kill -9 and restart', function () {
  this.timeout(120_000);
  const started: ServerProcess[] = [];
  const schemas: string[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
    for (const s of schemas.splice(0)) await dropFaultSchema(s);
  });

  async function start(env: Record<string, string>, nodeArgs?: string[]): Promise<ServerProcess> {
    const p = await startServerProcess(env, { nodeArgs });
    started.push(p);
    return p;
  }

  it('mid-battle with gifts in flight: the restart interrupts the battle, frees both hosts, and debits = gift rows = scores', async () => {
    const schema = newSchema();
    schemas.push(schema);
    const env = faultEnv(schema);
    const p1 = await start(env);
    const [a, b, ...viewers] = await usersOn(p1, 6, 'k9');
    for (const v of viewers) await creditOn(p1, v, 10_000);
    const battleId = await liveBattleOn(p1, a!, b!);

    const storm = giftStorm(p1, battleId, viewers, [a!.id, b!.id]);
    await waitFor(() => storm.acked.length >= 30, 20_000, '30 gifts acknowledged');
    await kill9(p1);
    await storm.stop();

    const p2 = await start(env);
    // Healthy only after recovery ran: the battle is closed already.
    const got = await api('GET', `/api/pk-battles/${battleId}`, { baseUrl: p2.url, token: a!.token });
    assert.equal(got.status, 200);
    assert.equal(got.body.data.status, 'interrupted');
    const active = await api('GET', '/api/pk-battles/active/list', { baseUrl: p2.url, token: a!.token });
    assert.ok(
      !active.body.data.battles.some((x: { battleId?: string; id?: string }) => (x.battleId ?? x.id) === battleId),
    );

    const db = await sql(schema);
    try {
      const [battle] = await db.q(`SELECT host_a, host_b, score_a::int, score_b::int FROM pk_battles WHERE id = $1`, [
        battleId,
      ]);
      const rows = await db.q<{ sender_id: string; request_id: string; recipient_id: string; coins: number }>(
        `SELECT sender_id, request_id, recipient_id, coins FROM pk_battle_gifts WHERE battle_id = $1`,
        [battleId],
      );
      const [ledger] = await db.q(
        `SELECT COALESCE(-sum(amount), 0)::int AS debited, count(*)::int AS debits FROM ledger_entries
          WHERE reason = 'pk_gift' AND reference = $1`,
        [`pk:${battleId}`],
      );
      const giftCoins = rows.reduce((s, r) => s + r.coins, 0);
      const toA = rows.filter((r) => r.recipient_id === battle.host_a).reduce((s, r) => s + r.coins, 0);
      assert.equal(ledger.debits, rows.length, 'one debit per gift row');
      assert.equal(ledger.debited, giftCoins, 'debits = gift rows');
      assert.equal(battle.score_a, toA, 'score A recomputed from committed gifts');
      assert.equal(battle.score_a + battle.score_b, giftCoins, 'scores = gift rows');
      const committed = new Set(rows.map((r) => `${r.sender_id}:${r.request_id}`));
      for (const ack of storm.acked)
        assert.ok(committed.has(`${ack.sender}:${ack.requestId}`), 'an acknowledged gift was lost');
      const [held] = await db.q(`SELECT count(*)::int AS n FROM pk_active_hosts WHERE battle_id = $1`, [battleId]);
      assert.equal(held.n, 0);
    } finally {
      await db.end();
    }
    // Nobody is locked out: the same hosts start a new battle.
    const again = await api('POST', '/api/pk-battles', {
      baseUrl: p2.url,
      token: a!.token,
      body: { opponent: b!.id, duration: 1 },
    });
    assert.equal(again.status, 201, JSON.stringify(again.body));
  });

  it('mid flash-sale rush: the restart releases every reservation; offered = ordered + remaining; vouchers balance', async () => {
    const schema = newSchema();
    schemas.push(schema);
    const env = faultEnv(schema);
    const p1 = await start(env);
    const [seller, ...buyers] = await usersOn(p1, 13, 'rush');
    const STOCK = 40;
    const prod = await api('POST', '/api/products', {
      baseUrl: p1.url,
      token: seller!.token,
      body: { name: 'Drop', description: 'limited', price: 5000, stock: STOCK },
    });
    assert.equal(prod.status, 201, JSON.stringify(prod.body));
    const productId = prod.body.data.product.id as string;
    const sess = await api('POST', '/api/live-shopping', {
      baseUrl: p1.url,
      token: seller!.token,
      body: { title: 'Rush' },
    });
    const sessionId = sess.body.data.sessionId as string;
    const st = await api('POST', `/api/live-shopping/${sessionId}/start`, { baseUrl: p1.url, token: seller!.token });
    assert.equal(st.status, 200, JSON.stringify(st.body));
    const add = await api('POST', `/api/live-shopping/${sessionId}/products`, {
      baseUrl: p1.url,
      token: seller!.token,
      body: { productId, livePrice: 4000, flashSale: { quantity: STOCK, expiresIn: 300_000, price: 1000 } },
    });
    assert.equal(add.status, 201, JSON.stringify(add.body));
    const v = await api('POST', `/api/live-shopping/${sessionId}/vouchers`, {
      baseUrl: p1.url,
      token: seller!.token,
      body: { code: 'RUSH', type: 'fixed', value: 100, usageLimit: 1000 },
    });
    assert.equal(v.status, 201, JSON.stringify(v.body));

    const acked: string[] = [];
    let stop = false;
    const loops = buyers.map(async (buyer) => {
      for (let i = 0; !stop; i++) {
        const r = await api('POST', `/api/live-shopping/${sessionId}/orders`, {
          baseUrl: p1.url,
          token: buyer.token,
          body: { productId, quantity: 1, idempotencyKey: randomUUID(), ...(i % 2 ? { voucherCode: 'RUSH' } : {}) },
        }).catch(() => null);
        if (!r) return;
        if (r.status < 300) acked.push(r.body.data.order.id);
        else if (r.status === 409) return; // sold out
      }
    });
    await waitFor(() => acked.length >= 10, 20_000, '10 orders acknowledged');
    await kill9(p1);
    stop = true;
    await Promise.all(loops);

    const p2 = await start(env);
    const db = await sql(schema);
    try {
      const [s] = await db.q(`SELECT status FROM shopping_sessions WHERE id = $1`, [sessionId]);
      assert.equal(s.status, 'interrupted');
      const orders = await db.q<{ id: string; status: string }>(
        `SELECT id, status FROM shop_orders WHERE session_id = $1`,
        [sessionId],
      );
      const ids = new Set(orders.map((o) => o.id));
      for (const id of acked) assert.ok(ids.has(id), 'an acknowledged order was lost');
      assert.equal(orders.filter((o) => o.status === 'reserved').length, 0, 'no reservation left locked');
      const [sp] = await db.q(
        `SELECT sp.offered, sp.remaining,
                COALESCE((SELECT sum(quantity) FROM shop_orders o WHERE o.stream_product_id = sp.id AND o.status <> 'released'), 0)::int AS ordered
           FROM stream_products sp WHERE sp.session_id = $1`,
        [sessionId],
      );
      assert.equal(sp.offered, sp.ordered + sp.remaining, `offered = ordered + remaining ${JSON.stringify(sp)}`);
      assert.equal(sp.remaining, STOCK, 'every unpaid unit is back');
      const [vc] = await db.q(
        `SELECT v.uses, (SELECT count(*)::int FROM voucher_uses u WHERE u.voucher_id = v.id) AS rows FROM vouchers v WHERE v.session_id = $1`,
        [sessionId],
      );
      assert.equal(vc.uses, 0, 'voucher uses returned');
      assert.equal(vc.rows, 0);
    } finally {
      await db.end();
    }
    const pay = await api('POST', `/api/live-shopping/orders/${acked[0]}/paid`, {
      baseUrl: p2.url,
      headers: service(),
    });
    assert.equal(pay.status, 409, 'a released reservation cannot be paid');
  });

  it('an unhandled rejection is logged with its stack, then the process drains (rooms persist) and exits 1', async () => {
    const schema = newSchema();
    schemas.push(schema);
    const fixture = path.join(__dirname, 'fixtures', 'rejectOnSignal.ts');
    const p1 = await start(faultEnv(schema), ['--import', fixture]);
    const [a, b] = await usersOn(p1, 2, 'ur');
    const battleId = await liveBattleOn(p1, a!, b!);
    process.kill(p1.pid, 'SIGUSR2');
    assert.equal(await p1.exited, 1, 'non-zero so a supervisor restarts it');
    const out = p1.output();
    assert.match(out, /unhandled promise rejection/);
    assert.match(out, /injected fault: a floating promise rejected/);
    assert.match(out, /rejectOnSignal\.ts/, 'the stack is logged');
    const db = await sql(schema);
    try {
      const [battle] = await db.q(`SELECT status FROM pk_battles WHERE id = $1`, [battleId]);
      assert.equal(battle.status, 'interrupted', 'the room disposed and persisted before the exit');
    } finally {
      await db.end();
    }
  });
});

describe('Faults: embedded PostgreSQL', function () {
  this.timeout(120_000);
  const dir = path.join(os.tmpdir(), `live-arena-fault-${randomBytes(4).toString('hex')}`, 'pg');
  const started: ServerProcess[] = [];
  after(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
    const pid = postmasterPid(dir);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGQUIT');
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  const env = () => ({
    DATABASE_URL: '',
    EMBEDDED_PG_DIR: dir,
    EMBEDDED_PG_EPHEMERAL: 'false',
    JWT_SECRET: 'fault-embedded-secret-0123456789',
    REDIS_URL: '',
    LOG_LEVEL: 'info',
  });

  it('a data folder PostgreSQL cannot use: the start fails with a message naming the cause and the fix', async () => {
    const bad = path.join(os.tmpdir(), `live-arena-baddir-${randomBytes(4).toString('hex')}`, 'pg');
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, 'PG_VERSION'), '9.6\n'); // made by a PostgreSQL this one cannot read
    try {
      const err = await startServerProcess({ ...env(), EMBEDDED_PG_DIR: bad }).then(
        (p) => {
          started.push(p);
          return null;
        },
        (e: Error) => e,
      );
      assert.ok(err, 'the start fails');
      assert.match(err.message, /failed to start/);
      assert.match(err.message, /Embedded PostgreSQL exited during start/);
      assert.match(err.message, /Fix: the data folder is incomplete/);
      assert.doesNotMatch(err.message, /"error":"undefined"/);
    } finally {
      rmSync(path.dirname(bad), { recursive: true, force: true });
    }
  });

  it('kill -9 of the server: its PostgreSQL stops too, and even an orphaned one does not block the next start', async () => {
    const p1 = await startServerProcess(env());
    started.push(p1);
    const user = await usersOn(p1, 1, 'emb');
    const pg1 = postmasterPid(dir)!;
    assert.ok(pg1 && isAlive(pg1));
    await kill9(p1);
    started.splice(0);
    // Dies with the server (its watchdog notices within about a second).
    await waitFor(() => !isAlive(pg1), 10_000, 'the embedded PostgreSQL to stop after its server died');

    const p2 = await startServerProcess(env());
    started.push(p2);
    const pg2 = postmasterPid(dir)!;
    // The worst case: server and watchdog both killed, the postmaster left behind as an orphan.
    const watchdog = parentOf(pg2);
    process.kill(watchdog, 'SIGKILL');
    await kill9(p2);
    started.splice(0);
    assert.ok(isAlive(pg2), 'an orphaned postmaster holds the data folder');

    const p3 = await startServerProcess(env());
    started.push(p3);
    assert.ok(!isAlive(pg2), 'the orphan was stopped');
    // The data survived: the user registered on the first process signs in on the third.
    const login = await api('POST', '/api/auth/login', {
      baseUrl: p3.url,
      body: { username: user[0]!.username, password: 'password-123' },
    });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.match(p3.output(), /left running by a previous server/);
    // A graceful stop stops the database last, and leaves nothing running.
    const pg3 = postmasterPid(dir)!;
    started.splice(0);
    assert.equal(await p3.stop(), 0);
    assert.ok(!isAlive(pg3), 'stopped with the server');
  });
});

/** Every process of a PostgreSQL instance: the postmaster and its backends (SIGSTOP must reach them all). */
function postgresProcesses(postmaster: number): number[] {
  const out = [postmaster];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (parentOf(Number(d)) === postmaster) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

describe('Faults: database paused during a gift storm', function () {
  this.timeout(120_000);
  let db: EmbeddedDatabase | undefined;
  let proc: ServerProcess | undefined;
  after(async () => {
    await proc?.stop();
    await db?.stop();
  });

  it('SIGSTOP of every PostgreSQL process for 3 s: no crash, and no coin lost or doubled', async () => {
    db = await startEmbeddedPostgres({
      dir: path.join(os.tmpdir(), `live-arena-pause-${randomBytes(4).toString('hex')}`, 'pg'),
      ephemeral: true,
    });
    proc = await startServerProcess({ ...faultEnv('public'), DATABASE_URL: db.url, DATABASE_SCHEMA: 'public' });
    const p = proc;
    const [a, b, ...viewers] = await usersOn(p, 6, 'pause');
    for (const v of viewers) await creditOn(p, v, 10_000);
    const battleId = await liveBattleOn(p, a!, b!);

    // Each viewer sends gifts one after another, retrying the same requestId until it is acknowledged.
    const acked: Array<{ sender: string; requestId: string }> = [];
    const unavailable: number[] = [];
    let stop = false;
    const loops = viewers.map(async (v, k) => {
      for (let i = 0; !stop; i++) {
        const requestId = `p-${k}-${i}`;
        for (;;) {
          const r = await api('POST', `/api/pk-battles/${battleId}/gift`, {
            baseUrl: p.url,
            token: v.token,
            body: { giftId: 'rose', to: i % 2 ? a!.id : b!.id, count: 1, requestId },
          });
          if (r.status < 300) break;
          assert.ok(r.status === 503 || r.status === 500, `unexpected ${r.status} ${JSON.stringify(r.body)}`);
          unavailable.push(r.status);
          await new Promise((res) => setTimeout(res, 100));
        }
        acked.push({ sender: v.id, requestId });
      }
    });
    await waitFor(() => acked.length >= 20, 20_000, 'gifts before the pause');
    const paused = postgresProcesses(db.pid);
    for (const pid of paused) process.kill(pid, 'SIGSTOP');
    const ackedBefore = acked.length;
    await new Promise((res) => setTimeout(res, 3000));
    for (const pid of paused) process.kill(pid, 'SIGCONT');
    await waitFor(() => acked.length >= ackedBefore + 40, 30_000, 'gifts after the pause');
    stop = true;
    await Promise.all(loops);

    assert.equal(p.exitCodeNow(), null, 'the server is still running');
    const health = await api('GET', '/healthz', { baseUrl: p.url });
    assert.equal(health.status, 200);
    const q = await sql('public', db.url);
    try {
      const rows = await q.q<{ sender_id: string; request_id: string; coins: number }>(
        `SELECT sender_id, request_id, coins FROM pk_battle_gifts WHERE battle_id = $1`,
        [battleId],
      );
      const committed = new Set(rows.map((r) => `${r.sender_id}:${r.request_id}`));
      assert.equal(rows.length, acked.length, 'one gift row per acknowledged gift: nothing lost, nothing doubled');
      for (const x of acked) assert.ok(committed.has(`${x.sender}:${x.requestId}`));
      const [ledger] = await q.q(
        `SELECT COALESCE(-sum(amount), 0)::int AS debited, count(*)::int AS debits FROM ledger_entries
          WHERE reason = 'pk_gift' AND reference = $1`,
        [`pk:${battleId}`],
      );
      assert.equal(ledger.debits, rows.length);
      assert.equal(
        ledger.debited,
        rows.reduce((s, r) => s + r.coins, 0),
      );
      for (const v of viewers) {
        const [u] = await q.q(`SELECT coins::int AS coins FROM users WHERE id = $1`, [v.id]);
        const spent = rows.filter((r) => r.sender_id === v.id).reduce((s, r) => s + r.coins, 0);
        assert.equal(u.coins, v.coins + 10_000 - spent, 'balance = credits - gifts');
      }
      const live = await api('GET', `/api/pk-battles/${battleId}`, { baseUrl: p.url, token: a!.token });
      const scores = live.body.data.live.scores as Record<string, number>;
      assert.equal(scores[a!.id]! + scores[b!.id]!, acked.length, 'the live score = committed gifts');
    } finally {
      await q.end();
    }
  });
});

/**
 * A Redis database of the suite's own for the two-process case: the in-process test server is on
 * REDIS_URL's database, and would otherwise be a third member of the cluster (and host rooms).
 */
function ownRedisUrl(): string {
  const u = new URL(process.env.REDIS_URL!);
  const db = Number(u.pathname.slice(1) || '0');
  u.pathname = `/${(db + 8) % 16}`;
  return u.toString();
}

/** Which process holds a room: the seat reservation names its public address. */
async function holderOf(p: ServerProcess, user: TestUser, roomId: string): Promise<string> {
  const res = await fetch(`${p.url}/matchmake/joinById/${roomId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
    body: '{}',
  });
  const body = (await res.json()) as { publicAddress?: string };
  return body.publicAddress ?? p.url.replace('http://', '');
}

describe('Faults: two processes on Redis', function () {
  this.timeout(120_000);
  before(function () {
    if (!process.env.REDIS_URL) this.skip();
  });
  const started: ServerProcess[] = [];
  const schema = newSchema();
  after(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
    await dropFaultSchema(schema);
  });

  it('kill -9 of one: the other keeps its battles going; the dead one’s battles are recovered by the next start', async () => {
    const env = faultEnv(schema, { REDIS_URL: ownRedisUrl() });
    const a = await startServerProcess(env);
    started.push(a);
    const b = await startServerProcess(env);
    started.push(b);
    const [viewer] = await usersOn(a, 1, 'rv');
    await creditOn(a, viewer!, 10_000);
    const addrA = a.url.replace('http://', '');
    const battles: Array<{ id: string; roomId: string; onA: boolean; host: TestUser }> = [];
    // The matchmaker spreads rooms over both processes: make battles until each holds one.
    for (let i = 0; i < 8 && !(battles.some((x) => x.onA) && battles.some((x) => !x.onA)); i++) {
      const [h1, h2] = await usersOn(a, 2, 'rh');
      const via = i % 2 ? b : a;
      const id = await liveBattleOn(via, h1!, h2!);
      const got = await api('GET', `/api/pk-battles/${id}`, { baseUrl: via.url, token: h1!.token });
      const roomId = got.body.data.roomId as string;
      battles.push({ id, roomId, onA: (await holderOf(via, viewer!, roomId)) === addrA, host: h1! });
    }
    const onA = battles.filter((x) => x.onA);
    const onB = battles.filter((x) => !x.onA);
    assert.ok(onA.length && onB.length, 'rooms on both processes');

    await kill9(a);
    started.splice(0, 1);
    for (const x of onB) {
      const g = await api('POST', `/api/pk-battles/${x.id}/gift`, {
        baseUrl: b.url,
        token: viewer!.token,
        body: { giftId: 'rose', to: x.host.id, requestId: `after-kill-${x.id}` },
      });
      assert.equal(g.status, 201, `a room on the surviving process keeps working: ${JSON.stringify(g.body)}`);
    }

    const c = await startServerProcess(env);
    started.push(c);
    for (const x of onA) {
      const got = await api('GET', `/api/pk-battles/${x.id}`, { baseUrl: c.url, token: x.host.token });
      assert.equal(got.body.data.status, 'interrupted', 'the dead process’s battle was recovered');
    }
    for (const x of onB) {
      const got = await api('GET', `/api/pk-battles/${x.id}`, { baseUrl: c.url, token: x.host.token });
      assert.equal(got.body.data.status, 'live', 'a battle alive on another process is left alone');
      assert.equal(got.body.data.live.scores[x.host.id], 1);
    }
  });
});
