import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../src/errors';
import { api, operatorHeaders, registerUser, server } from '../helpers';

describe('Wallet and ledger', () => {
  const wallet = () => server().context.wallet;

  async function userWithBalance(balance: number) {
    const u = await registerUser('w');
    const diff = balance - u.coins;
    if (diff > 0) await wallet().credit({ userId: u.id, amount: diff, reason: 'test', idempotencyKey: randomUUID() });
    if (diff < 0) await wallet().debit({ userId: u.id, amount: -diff, reason: 'test', idempotencyKey: randomUUID() });
    return u;
  }

  it('50 concurrent debits of 30 against 1,000 leave 33 successes, a balance of 10 and 33 rows; replays change nothing', async () => {
    const u = await userWithBalance(1000);
    const keys = Array.from({ length: 50 }, () => randomUUID());
    const results = await Promise.allSettled(
      keys.map((k) => wallet().debit({ userId: u.id, amount: 30, reason: 'gift', idempotencyKey: k })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(ok.length, 33);
    assert.ok(failed.every((f) => f.reason.code === ErrorCode.INSUFFICIENT_COINS));
    assert.equal(await wallet().balance(u.id), 10);
    const rows = await server().context.ds.query(
      "SELECT count(*)::int AS n, sum(amount)::int AS s FROM ledger_entries WHERE user_id = $1 AND reason = 'gift'",
      [u.id],
    );
    assert.deepEqual(rows[0], { n: 33, s: -990 });

    // Replay every key, succeeded or not, concurrently: nothing moves.
    const replays = await Promise.allSettled(
      keys.map((k) => wallet().debit({ userId: u.id, amount: 30, reason: 'gift', idempotencyKey: k })),
    );
    const replayed = replays
      .filter((r) => r.status === 'fulfilled')
      .map((r) => (r as PromiseFulfilledResult<any>).value);
    assert.equal(replayed.length, 33);
    assert.ok(replayed.every((r) => r.replayed));
    assert.equal(await wallet().balance(u.id), 10);
  });

  it('the same key sent twice at once moves coins once', async () => {
    const u = await userWithBalance(500);
    const key = randomUUID();
    const both = await Promise.all(
      Array.from({ length: 8 }, () =>
        wallet().debit({ userId: u.id, amount: 100, reason: 'gift', idempotencyKey: key }),
      ),
    );
    assert.equal(both.filter((r) => !r.replayed).length, 1);
    assert.equal(await wallet().balance(u.id), 400);
  });

  it('a short balance fails clearly and changes nothing; a reused key with another amount is a conflict', async () => {
    const u = await userWithBalance(50);
    await assert.rejects(
      wallet().debit({ userId: u.id, amount: 51, reason: 'gift', idempotencyKey: randomUUID() }),
      (e: any) => e.code === ErrorCode.INSUFFICIENT_COINS && e.status === 409,
    );
    const key = randomUUID();
    await wallet().debit({ userId: u.id, amount: 10, reason: 'gift', idempotencyKey: key });
    await assert.rejects(
      wallet().debit({ userId: u.id, amount: 20, reason: 'gift', idempotencyKey: key }),
      (e: any) => e.code === ErrorCode.IDEMPOTENCY_MISMATCH,
    );
    assert.equal(await wallet().balance(u.id), 40);
  });

  it('transfers both sides or neither, including opposite transfers at once', async () => {
    const a = await userWithBalance(1000);
    const b = await userWithBalance(1000);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        wallet().transfer({
          from: i % 2 ? a.id : b.id,
          to: i % 2 ? b.id : a.id,
          amount: 7,
          reason: 't',
          idempotencyKey: randomUUID(),
        }),
      ),
    );
    assert.equal((await wallet().balance(a.id)) + (await wallet().balance(b.id)), 2000);
    await assert.rejects(
      wallet().transfer({ from: a.id, to: b.id, amount: 5000, reason: 't', idempotencyKey: randomUUID() }),
      (e: any) => e.code === ErrorCode.INSUFFICIENT_COINS,
    );
    assert.equal((await wallet().balance(a.id)) + (await wallet().balance(b.id)), 2000);
  });

  it('GET /api/wallet shows the balance and recent ledger; operators credit idempotently', async () => {
    const u = await registerUser('wal');
    const key = randomUUID();
    const noAuth = await api('POST', `/api/admin/wallets/${u.id}/credit`, { body: { amount: 5, idempotencyKey: key } });
    assert.equal(noAuth.status, 401);
    const asUser = await api('POST', `/api/admin/wallets/${u.id}/credit`, {
      token: u.token,
      body: { amount: 5, idempotencyKey: key },
    });
    assert.equal(asUser.status, 401);
    const first = await api('POST', `/api/admin/wallets/${u.id}/credit`, {
      headers: operatorHeaders(),
      body: { amount: 250, idempotencyKey: key },
    });
    assert.equal(first.status, 201);
    const again = await api('POST', `/api/admin/wallets/${u.id}/credit`, {
      headers: operatorHeaders(),
      body: { amount: 250, idempotencyKey: key },
    });
    assert.equal(again.status, 200);
    assert.equal(again.body.data.replayed, true);
    const w = await api('GET', '/api/wallet', { token: u.token });
    assert.equal(w.status, 200);
    assert.equal(w.body.data.balance, u.coins + 250);
    assert.equal(w.body.data.ledger[0].amount, 250);
    assert.equal(w.body.data.ledger[0].reason, 'operator_credit');
    const bad = await api('POST', `/api/admin/wallets/${u.id}/credit`, {
      headers: operatorHeaders(),
      body: { amount: -5, idempotencyKey: 'x' },
    });
    assert.equal(bad.status, 400);
  });
});
