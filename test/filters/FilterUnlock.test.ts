/**
 * Where a filter is charged (src/domain/filters/unlock.ts), as pure rules, and the unlock route's
 * idempotency key: a retry with the same key gets the first answer and is charged once, also when
 * the two requests race.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { planUnlock, replayUnlock, type UnlockResult } from '../../src/domain/filters/unlock';
import { credit, api, registerUser, server, type TestUser } from '../helpers';

const F = '/api/stream-filters';

describe('Filter unlock rules (no I/O)', () => {
  const platform = { id: 'f1', price: 120, creatorId: null, published: true };
  const custom = { id: 'f2', price: 100, creatorId: 'creator', published: true };

  it('charges a premium filter its price; a custom one credits its creator the share, rounded down', () => {
    assert.deepEqual(planUnlock(platform, 'u', 0.7), {
      ok: true,
      value: { kind: 'charge', price: 120, creatorId: null, creatorCredit: 0 },
    });
    assert.deepEqual(planUnlock({ ...custom, price: 15 }, 'u', 0.7), {
      ok: true,
      value: { kind: 'charge', price: 15, creatorId: 'creator', creatorCredit: 10 },
    });
  });

  it('charges nothing for a free filter or the caller’s own', () => {
    assert.deepEqual(planUnlock({ ...platform, price: 0 }, 'u', 0.7), { ok: true, value: { kind: 'free' } });
    assert.deepEqual(planUnlock({ ...custom, published: false }, 'creator', 0.7), {
      ok: true,
      value: { kind: 'free' },
    });
  });

  it('refuses a missing filter and another creator’s unpublished one as NOT_FOUND', () => {
    for (const f of [undefined, { ...custom, published: false }]) {
      assert.deepEqual(planUnlock(f, 'u', 0.7), {
        ok: false,
        error: { code: 'NOT_FOUND', message: 'Filter not found' },
      });
    }
  });

  it('a replay answers the first result for the same filter, IDEMPOTENCY_MISMATCH for another', () => {
    const first: UnlockResult = { filterId: 'f1', unlocked: true, charged: 120, balance: 880, alreadyOwned: false };
    assert.deepEqual(replayUnlock({ filterId: 'f1', result: first }, 'f1'), { ok: true, value: first });
    const other = replayUnlock({ filterId: 'f1', result: first }, 'f2');
    assert.equal(other.ok, false);
    assert.equal(!other.ok && other.error.code, 'IDEMPOTENCY_MISMATCH');
  });
});

describe('Filter unlock idempotency key (HTTP)', function () {
  this.timeout(30_000);

  const premium = async (user: TestUser) => {
    const all = await api('GET', `${F}?tier=premium&limit=100`, { token: user.token });
    const filters = all.body.data.filters as Array<{ id: string; price: number; slug: string | null }>;
    return filters.filter((f) => f.slug).sort((a, b) => a.price - b.price);
  };
  const balance = (u: TestUser) => server().context.wallet.balance(u.id);
  const unlockDebits = async (u: TestUser): Promise<number> => {
    const [row] = await server().context.ds.query(
      `SELECT count(*)::int AS n FROM ledger_entries WHERE user_id = $1 AND reason = 'filter_unlock'`,
      [u.id],
    );
    return row.n;
  };
  const unlock = (u: TestUser, id: string, key?: string, header = false) =>
    api('POST', `${F}/${id}/unlock`, {
      token: u.token,
      body: key && !header ? { idempotencyKey: key } : {},
      headers: key && header ? { 'Idempotency-Key': key } : {},
    });

  it('a retry with the same key returns the first answer (replayed: true, 200), and charges once', async () => {
    const u = await registerUser('ik');
    const [f] = await premium(u);
    const before = await balance(u);
    const key = randomUUID();
    const first = await unlock(u, f!.id, key);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.deepEqual(first.body.data, {
      filterId: f!.id,
      unlocked: true,
      charged: f!.price,
      balance: before - f!.price,
      alreadyOwned: false,
      idempotencyKey: key,
      replayed: false,
    });
    // Coins move in between: the replay still answers the first result, not a fresh one.
    await credit(u.id, 7);
    const retry = await unlock(u, f!.id, key, true);
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.body.data, { ...first.body.data, replayed: true });
    assert.equal(await balance(u), before - f!.price + 7);
    assert.equal(await unlockDebits(u), 1);
    // Another key: already owned, nothing charged (as before).
    const other = await unlock(u, f!.id, randomUUID());
    assert.deepEqual([other.status, other.body.data.charged, other.body.data.alreadyOwned], [200, 0, true]);
    assert.equal(await balance(u), before - f!.price + 7);
  });

  it('concurrent requests with the same key: one charge, every answer the first result (3 of them replays)', async () => {
    const u = await registerUser('ikc');
    const [f] = await premium(u);
    const before = await balance(u);
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 4 }, () => unlock(u, f!.id, key)));
    assert.deepEqual(
      answers.map((a) => a.status).sort(),
      [200, 200, 200, 201],
      JSON.stringify(answers.map((a) => a.body)),
    );
    for (const a of answers) {
      assert.deepEqual(a.body.data, {
        replayed: a.status === 200,
        filterId: f!.id,
        unlocked: true,
        charged: f!.price,
        balance: before - f!.price,
        alreadyOwned: false,
        idempotencyKey: key,
      });
    }
    assert.equal(await balance(u), before - f!.price);
    assert.equal(await unlockDebits(u), 1);
  });

  it('the same key for another filter is refused (409 IDEMPOTENCY_MISMATCH), nothing charged', async () => {
    const u = await registerUser('ikm');
    const [a, b] = await premium(u);
    const key = randomUUID();
    assert.equal((await unlock(u, a!.id, key)).status, 201);
    const after = await balance(u);
    const wrong = await unlock(u, b!.id, key);
    assert.equal(wrong.status, 409);
    assert.equal(wrong.body.code, 'IDEMPOTENCY_MISMATCH');
    assert.equal(await balance(u), after);
    const owned = await api('GET', `${F}/user/unlocked`, { token: u.token });
    assert.deepEqual(
      owned.body.data.filters.map((x: { id: string }) => x.id),
      [a!.id],
    );
  });

  it('a refused unlock keeps nothing under its key: after a top-up the same key unlocks', async () => {
    const u = await registerUser('ikr');
    const [f] = await premium(u);
    await server().context.wallet.debit({
      userId: u.id,
      amount: (await balance(u)) - 1,
      reason: 'test',
      idempotencyKey: randomUUID(),
    });
    const key = randomUUID();
    const short = await unlock(u, f!.id, key);
    assert.equal(short.status, 409);
    assert.equal(short.body.code, 'INSUFFICIENT_COINS');
    await credit(u.id, f!.price);
    const retry = await unlock(u, f!.id, key);
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
    assert.equal(retry.body.data.charged, f!.price);
    assert.equal(await balance(u), 1);
  });
});
