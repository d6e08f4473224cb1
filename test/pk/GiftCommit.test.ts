/**
 * PkStore.recordGifts commits a batch in one statement (pk_record_gifts): what the eight statements
 * did must still hold — replays by requestId (in the batch and later), a short balance refusing its
 * gift alone, ledger rows with running balances, debit and credit sums, all or nothing, a twin
 * committed concurrently charged once, and the group committer isolating a bad gift.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { splitGift } from '../../src/domain/pk/rules';
import { AppError, ErrorCode } from '../../src/errors';
import { giftCommitter } from '../../src/pk/giftCommitter';
import { type GiftInput, type GiftRecord, pkStore } from '../../src/stores/pkStore';
import { api, config, registerUsers, server, type TestUser } from '../helpers';

const balanceOf = (u: TestUser) => server().context.wallet.balance(u.id);

async function battleOf(a: TestUser, b: TestUser): Promise<string> {
  const res = await api('POST', '/api/pk-battles', { token: a.token, body: { opponent: b.id, duration: 1 } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data.battleId;
}

/** Leaves `u` with exactly `coins`. */
async function setBalance(u: TestUser, coins: number): Promise<void> {
  const now = await balanceOf(u);
  if (now > coins) {
    await server().context.wallet.debit({
      userId: u.id,
      amount: now - coins,
      reason: 'test',
      idempotencyKey: randomUUID(),
    });
  }
  assert.equal(await balanceOf(u), coins);
}

async function ledger(u: TestUser, battleId: string) {
  const rows: Array<{ amount: string; balance_after: string; reason: string }> = await server().context.ds.query(
    'SELECT amount, balance_after, reason FROM ledger_entries WHERE user_id = $1 AND reference = $2 ORDER BY id',
    [u.id, `pk:${battleId}`],
  );
  return rows.map((r) => [r.reason, Number(r.amount), Number(r.balance_after)]);
}

const record = (r: GiftRecord | AppError | undefined): GiftRecord => {
  assert.ok(r && !(r instanceof Error), `a gift record, got ${r}`);
  return r;
};

describe('Gift commit (PkStore.recordGifts in one statement)', function () {
  this.timeout(30_000);

  it('a batch: paid in order, a short gift refused alone, duplicates replay; ledger, balances and sums exact', async () => {
    const [a, b, rich, poor] = await registerUsers(4, 'gc');
    const battleId = await battleOf(a!, b!);
    const catalog = await pkStore().listGifts();
    const rose = catalog.find((g) => g.id === 'rose')!;
    const heart = catalog.find((g) => g.id === 'heart')!;
    const share = config().PK_HOST_SHARE;
    await setBalance(poor!, rose.coins + heart.coins); // pays the rose and one heart, not two hearts
    const [richStart, aStart, bStart] = [await balanceOf(rich!), await balanceOf(a!), await balanceOf(b!)];
    const gift = (sender: TestUser, to: TestUser, g: typeof rose, count: number, requestId: string): GiftInput => ({
      battleId,
      senderId: sender.id,
      recipientId: to.id,
      gift: g,
      count,
      requestId,
      hostShare: share,
    });
    const batch = [
      gift(rich!, a!, heart, 3, 'r1'),
      gift(poor!, b!, rose, 1, 'p1'),
      gift(poor!, b!, heart, 2, 'p2'), // 2 hearts: more than is left after the rose
      gift(rich!, b!, rose, 2, 'r2 "quoted", {braced} \\ NULL'), // travels in a SQL array literal
      gift(rich!, a!, heart, 3, 'r1'), // a retry inside the batch
      gift(poor!, a!, heart, 1, 'p3'), // after the refused one: still paid
    ];
    const out = await pkStore().recordGifts(batch);
    assert.equal(out.length, batch.length);
    const r1 = record(out[0]);
    const split = (coins: number) => splitGift(coins, share);
    assert.deepEqual(r1, {
      giftId: 'heart',
      senderId: rich!.id,
      recipientId: a!.id,
      count: 3,
      coins: 3 * heart.coins,
      ...split(3 * heart.coins),
      requestId: 'r1',
      balance: richStart - 3 * heart.coins,
      replayed: false,
    });
    assert.equal(record(out[1]).balance, heart.coins);
    assert.ok(out[2] instanceof AppError && out[2].code === ErrorCode.INSUFFICIENT_COINS, String(out[2]));
    assert.equal(out[2].message, `Insufficient coins: ${2 * heart.coins} needed`);
    assert.equal(record(out[3]).balance, richStart - 3 * heart.coins - 2 * rose.coins);
    const [stored] = await server().context.ds.query(
      'SELECT request_id FROM pk_battle_gifts WHERE sender_id = $1 AND gift_id = $2',
      [rich!.id, 'rose'],
    );
    assert.equal(stored.request_id, batch[3]!.requestId, 'the request id is stored as sent');
    assert.deepEqual(out[4], { ...r1, replayed: true });
    assert.equal(record(out[5]).balance, 0);

    const richPaid = 3 * heart.coins + 2 * rose.coins;
    const poorPaid = rose.coins + heart.coins;
    assert.equal(await balanceOf(rich!), richStart - richPaid);
    assert.equal(await balanceOf(poor!), 0);
    const toA = split(3 * heart.coins).hostCoins + split(heart.coins).hostCoins;
    const toB = split(2 * rose.coins).hostCoins + split(rose.coins).hostCoins;
    assert.equal(await balanceOf(a!), aStart + toA);
    assert.equal(await balanceOf(b!), bStart + toB);
    // Ledger rows with the balance after each, in batch order per user.
    assert.deepEqual(await ledger(rich!, battleId), [
      ['pk_gift', -3 * heart.coins, richStart - 3 * heart.coins],
      ['pk_gift', -2 * rose.coins, richStart - richPaid],
    ]);
    assert.deepEqual(await ledger(poor!, battleId), [
      ['pk_gift', -rose.coins, heart.coins],
      ['pk_gift', -heart.coins, 0],
    ]);
    const earnedA = [split(3 * heart.coins).hostCoins, split(heart.coins).hostCoins].filter((c) => c > 0);
    const runningA = earnedA.map((_, k) => aStart + earnedA.slice(0, k + 1).reduce((x, y) => x + y, 0));
    assert.deepEqual(
      await ledger(a!, battleId),
      earnedA.map((c, k) => ['pk_gift_earning', c, runningA[k]]),
    );
    const i = await pkStore().integrity(battleId);
    assert.deepEqual(i, {
      gifts: 4,
      giftCoins: richPaid + poorPaid,
      hostCoins: toA + toB,
      platformCoins: richPaid + poorPaid - toA - toB,
      ledgerDebited: richPaid + poorPaid,
      ledgerEarned: toA + toB,
      ledgerDebits: 4,
    });

    // The same batch again: every paid gift replays its first result, the short one is still short, nothing moves.
    const again = await pkStore().recordGifts(batch);
    assert.deepEqual(
      again.map((r) => (r instanceof Error ? r.code : r.replayed)),
      [true, true, ErrorCode.INSUFFICIENT_COINS, true, true, true],
    );
    assert.deepEqual({ ...record(again[0]), balance: 0 }, { ...r1, balance: 0, replayed: true });
    assert.equal(record(again[0]).balance, richStart - richPaid, 'a replay shows the balance now');
    assert.deepEqual(await pkStore().integrity(battleId), i);
    assert.equal(await balanceOf(rich!), richStart - richPaid);
  });

  it('two commits of the same gift at once charge it once', async () => {
    const [a, b, fan] = await registerUsers(3, 'twin');
    const battleId = await battleOf(a!, b!);
    const heart = (await pkStore().listGifts()).find((g) => g.id === 'heart')!;
    const start = await balanceOf(fan!);
    const g: GiftInput = {
      battleId,
      senderId: fan!.id,
      recipientId: a!.id,
      gift: heart,
      count: 1,
      requestId: 'twin',
      hostShare: config().PK_HOST_SHARE,
    };
    const results = await Promise.all(Array.from({ length: 4 }, () => pkStore().recordGifts([g])));
    const records = results.map(([r]) => record(r));
    assert.equal(records.filter((r) => !r.replayed).length, 1, 'one first commit, the rest replays');
    assert.equal(await balanceOf(fan!), start - heart.coins);
    assert.equal((await pkStore().integrity(battleId)).gifts, 1);
  });

  it('a batch the database refuses changes nothing; the committer then commits every other gift alone', async () => {
    const [a, b, fan] = await registerUsers(3, 'iso');
    const battleId = await battleOf(a!, b!);
    const rose = (await pkStore().listGifts()).find((g) => g.id === 'rose')!;
    const start = await balanceOf(fan!);
    const good: GiftInput = {
      battleId,
      senderId: fan!.id,
      recipientId: a!.id,
      gift: rose,
      count: 1,
      requestId: 'good',
      hostShare: config().PK_HOST_SHARE,
    };
    const bad: GiftInput = { ...good, recipientId: randomUUID(), requestId: 'bad' }; // no such user
    await assert.rejects(pkStore().recordGifts([good, bad]));
    assert.equal(await balanceOf(fan!), start, 'nothing of the batch was committed');
    assert.equal((await pkStore().integrity(battleId)).gifts, 0);

    const [ok, refused] = await Promise.allSettled([giftCommitter().submit(good), giftCommitter().submit(bad)]);
    assert.equal(ok.status, 'fulfilled', String((ok as PromiseRejectedResult).reason));
    assert.equal(refused.status, 'rejected');
    assert.equal(await balanceOf(fan!), start - rose.coins);
    assert.equal((await pkStore().integrity(battleId)).gifts, 1);
  });
});
