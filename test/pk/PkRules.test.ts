import assert from 'node:assert/strict';
import {
  decideWinner,
  levelForXp,
  periodStart,
  presenceShare,
  rewardEligible,
  rewardsFor,
  splitGift,
  topContributors,
  winRate,
} from '../../src/domain/pk/rules';

describe('PK rules', () => {
  it('splits gift coins without losing any to rounding', () => {
    for (const [coins, share, host, platform] of [
      [100, 0.7, 70, 30],
      [1, 0.7, 0, 1],
      [3, 0.5, 1, 2],
      [999, 1, 999, 0],
      [10, 0, 0, 10],
    ] as const) {
      assert.deepEqual(splitGift(coins, share), { hostCoins: host, platformCoins: platform });
    }
  });

  it('decides the winner, draws and forfeits', () => {
    const hosts = ['a', 'b'] as const;
    assert.equal(decideWinner(hosts, { a: 10, b: 5 }), 'a');
    assert.equal(decideWinner(hosts, { a: 10, b: 50 }), 'b');
    assert.equal(decideWinner(hosts, { a: 7, b: 7 }), null);
    assert.equal(decideWinner(hosts, {}), null);
    assert.equal(decideWinner(hosts, { a: 100, b: 0 }, 'a'), 'b');
  });

  it('pays rewards by outcome', () => {
    const s = { winnerCoins: 100, drawCoins: 50, winnerXp: 100, loserXp: 30, drawXp: 50 };
    assert.deepEqual(rewardsFor(['a', 'b'], 'b', s), [
      { userId: 'a', result: 'loss', coins: 0, xp: 30 },
      { userId: 'b', result: 'win', coins: 100, xp: 100 },
    ]);
    assert.deepEqual(
      rewardsFor(['a', 'b'], null, s).map((r) => [r.result, r.coins, r.xp]),
      [
        ['draw', 50, 50],
        ['draw', 50, 50],
      ],
    );
  });

  it('maps experience to levels', () => {
    assert.deepEqual([0, 99, 100, 399, 400, 900, 10_000].map(levelForXp), [1, 1, 2, 2, 3, 4, 11]);
  });

  it('ranks the top contributors, earliest first on ties', () => {
    const top = topContributors([
      { userId: 'x', name: 'x', coins: 10, firstAt: 3 },
      { userId: 'y', name: 'y', coins: 30, firstAt: 2 },
      { userId: 'z', name: 'z', coins: 10, firstAt: 1 },
      { userId: 'w', name: 'w', coins: 5, firstAt: 0 },
    ]);
    assert.deepEqual(
      top.map((c) => c.userId),
      ['y', 'z', 'x'],
    );
  });

  it('computes UTC period boundaries (ISO weeks start Monday)', () => {
    const now = new Date('2026-11-26T15:30:00Z'); // a Thursday
    assert.equal(periodStart('daily', now).toISOString(), '2026-11-26T00:00:00.000Z');
    assert.equal(periodStart('weekly', now).toISOString(), '2026-11-23T00:00:00.000Z');
    assert.equal(periodStart('weekly', new Date('2026-11-29T23:59:00Z')).toISOString(), '2026-11-23T00:00:00.000Z');
    assert.equal(periodStart('weekly', new Date('2026-11-30T00:00:00Z')).toISOString(), '2026-11-30T00:00:00.000Z');
    assert.equal(periodStart('monthly', now).toISOString(), '2026-11-01T00:00:00.000Z');
    assert.equal(periodStart('all-time', now).getTime(), 0);
  });

  it('computes win rates as percentages', () => {
    assert.equal(winRate(0, 0), 0);
    assert.equal(winRate(1, 3), 33.33);
    assert.equal(winRate(2, 2), 100);
  });
});

describe('PK reward rule (no coins from empty battles)', () => {
  const hosts = ['a', 'b'] as const;
  const base = { liveMs: 60_000, connectedAtEnd: [] as string[], forfeited: false, minPresence: 0.5 };

  it('pays nobody when neither host was there and nobody gifted', () => {
    const e = rewardEligible(hosts, null, { ...base, presentMs: {}, giftCoins: 0 });
    assert.equal(e.size, 0);
    const r = rewardsFor(hosts, null, SETTINGS, e);
    assert.deepEqual(
      r.map((x) => [x.result, x.coins, x.xp]),
      [
        ['draw', 0, 0],
        ['draw', 0, 0],
      ],
    );
  });

  it('pays both when both hosts were present at least minPresence of the live time', () => {
    const e = rewardEligible(hosts, 'a', { ...base, presentMs: { a: 30_000, b: 45_000 }, giftCoins: 0 });
    assert.deepEqual([...e].sort(), ['a', 'b']);
    assert.equal(rewardsFor(hosts, 'a', SETTINGS, e)[0]!.coins, SETTINGS.winnerCoins);
    const short = rewardEligible(hosts, 'a', { ...base, presentMs: { a: 60_000, b: 29_999 }, giftCoins: 0 });
    assert.equal(short.size, 0, 'one host there for less than half: not a real battle');
  });

  it('viewers’ gifts make a battle real even when a host was away', () => {
    const e = rewardEligible(hosts, 'a', { ...base, presentMs: { a: 60_000 }, giftCoins: 5 });
    assert.deepEqual([...e].sort(), ['a', 'b']);
  });

  it('a forfeit pays the winner only if the winner was present', () => {
    const present = rewardEligible(hosts, 'b', {
      ...base,
      forfeited: true,
      presentMs: { a: 40_000, b: 50_000 },
      giftCoins: 0,
    });
    assert.deepEqual([...present], ['b']);
    const absent = rewardEligible(hosts, 'b', { ...base, forfeited: true, presentMs: { a: 60_000 }, giftCoins: 10 });
    assert.equal(absent.size, 0);
    // Ended during the countdown: presence is who was connected at the end.
    const countdown = rewardEligible(hosts, 'b', {
      ...base,
      liveMs: 0,
      connectedAtEnd: ['b'],
      forfeited: true,
      presentMs: {},
      giftCoins: 1,
    });
    assert.deepEqual([...countdown], ['b']);
    assert.equal(presenceShare({ liveMs: 0, presentMs: {}, connectedAtEnd: [] }, 'a'), 0);
  });
});

const SETTINGS = { winnerCoins: 100, drawCoins: 50, winnerXp: 100, loserXp: 30, drawXp: 50 };
