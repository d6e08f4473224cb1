/**
 * The battle model (src/domain/pk/battle.ts) and gift scoring (src/domain/pk/scoring.ts): every
 * transition as a plain function call with a clock passed in. No server, no database, no sleep.
 */
import assert from 'node:assert/strict';
import {
  activityAt,
  type Battle,
  type BattleSettings,
  type Command,
  decide,
  type Effect,
  interruptedOnClose,
  isOpen,
  openBattle,
  summary,
} from '../../src/domain/pk/battle';
import type { BattleResult } from '../../src/domain/pk/rules';
import {
  type CatalogGift,
  emptyTally,
  giftEvent,
  giftValue,
  scoreGift,
  scoresOf,
  type Tally,
} from '../../src/domain/pk/scoring';
import { topContributors } from '../../src/domain/pk/rules';
import { PMap } from '../../src/domain/pmap';

const A = 'host-a';
const B = 'host-b';
const settings: BattleSettings = {
  inviteTimeoutMs: 60_000,
  countdownMs: 3_000,
  minuteMs: 60_000,
  reconnectGraceMs: 30_000,
  resultPhaseMs: 10_000,
  hostShare: 0.7,
};
const catalog: CatalogGift[] = [
  { id: 'rose', name: 'Rose', coins: 1, animationKey: 'rose' },
  { id: 'crown', name: 'Crown', coins: 100, animationKey: 'crown_drop' },
];
const T0 = 1_000_000;
const fan = { id: 'fan-1', username: 'fan1' };
const fan2 = { id: 'fan-2', username: 'fan2' };

function pending(): Battle {
  return openBattle(
    { id: 'battle-1', durationMinutes: 2, hostA: { id: A, name: 'Ann' }, hostB: { id: B, name: 'Bob' } },
    catalog,
    settings,
    T0,
  ).state;
}

/** Applies an accepted command; fails the test on a refusal. */
function step(b: Battle, c: Command, now: number): { b: Battle; fx: readonly Effect[] } {
  const d = decide(b, c, now);
  if (!d.ok) assert.fail(`refused ${c.type}: ${d.error.code} ${d.error.message}`);
  return { b: d.value.state, fx: d.value.effects };
}

function refusal(b: Battle, c: Command, now: number) {
  const d = decide(b, c, now);
  assert.equal(d.ok, false, `${c.type} should be refused`);
  return d.ok ? undefined : d.error;
}

const types = (fx: readonly Effect[]) => fx.map((e) => e.type);

/** Both hosts in the room, accepted at T0+1000, live at T0+4000. */
function live(): Battle {
  let b = pending();
  b = step(b, { type: 'hostConnected', userId: A }, T0 + 10).b;
  b = step(b, { type: 'hostConnected', userId: B }, T0 + 20).b;
  b = step(b, { type: 'countdown' }, T0 + 1000).b;
  return step(b, { type: 'goLive' }, T0 + 4000).b;
}

const result = (over: Partial<BattleResult> = {}): BattleResult => ({
  battleId: 'battle-1',
  winner: A,
  scores: { [A]: 200, [B]: 30 },
  rewards: [
    { userId: A, result: 'win', coins: 100, xp: 100, level: 2 },
    { userId: B, result: 'loss', coins: 0, xp: 30, level: 1 },
  ],
  mvp: { userId: fan.id, username: fan.username, coins: 200 },
  endReason: 'time',
  ...over,
});

describe('PK battle model', () => {
  describe('invitation', () => {
    it('opens pending, with the invitation expiring on a timer', () => {
      const { state, effects } = openBattle(
        { id: 'battle-1', durationMinutes: 2, hostA: { id: A, name: 'Ann' }, hostB: { id: B, name: 'Bob' } },
        catalog,
        settings,
        T0,
      );
      assert.deepEqual([state.status, state.phase, state.inviteExpiresAt], ['pending', 'invite', T0 + 60_000]);
      assert.deepEqual(effects, [{ type: 'schedule', key: 'expire', at: T0 + 60_000, command: { type: 'expire' } }]);
      assert.deepEqual(scoresOf(state.tally), { [A]: 0, [B]: 0 });
    });

    it('accept: only the invitee, only while pending; the invitee is held in the database before the countdown', () => {
      const b = pending();
      assert.equal(refusal(b, { type: 'accept', userId: A }, T0)?.code, 'FORBIDDEN');
      assert.equal(refusal(b, { type: 'accept', userId: 'stranger' }, T0)?.code, 'FORBIDDEN');
      const { b: same, fx } = step(b, { type: 'accept', userId: B }, T0 + 500);
      assert.equal(same, b, 'nothing changes before the hold is committed');
      assert.deepEqual(fx, [{ type: 'write', write: { kind: 'holdInvitee' }, andThen: { type: 'countdown' } }]);
      const declined = step(b, { type: 'decline', userId: B }, T0).b;
      assert.deepEqual(refusal(declined, { type: 'accept', userId: B }, T0), {
        code: 'INVALID_STATE',
        message: 'Battle is declined',
      });
    });

    it('countdown: starts the media, tells the room and both inboxes, and schedules going live', () => {
      const { b, fx } = step(pending(), { type: 'countdown' }, T0 + 1000);
      assert.deepEqual([b.status, b.phase, b.startsAt, b.endsAt], ['countdown', 'countdown', T0 + 4000, T0 + 124_000]);
      assert.deepEqual(fx, [
        { type: 'startMedia' },
        {
          type: 'broadcast',
          message: {
            event: 'pk-battle:accepted',
            payload: { battleId: 'battle-1', startsAt: T0 + 4000, endsAt: T0 + 124_000 },
          },
        },
        {
          type: 'notifyHosts',
          message: {
            event: 'pk-battle:accepted',
            payload: { battleId: 'battle-1', roomId: 'battle-1', startsAt: T0 + 4000 },
          },
        },
        { type: 'schedule', key: 'goLive', at: T0 + 4000, command: { type: 'goLive' } },
      ]);
      // A hold that raced an expiry: the battle is no longer pending, the accept is refused.
      assert.equal(refusal(b, { type: 'countdown' }, T0 + 1001)?.message, 'Battle is countdown');
    });

    it('decline (invitee only) and cancel (creator only) close a pending battle, record it, tell everyone, close the room', () => {
      assert.equal(refusal(pending(), { type: 'decline', userId: A }, T0)?.code, 'FORBIDDEN');
      assert.equal(refusal(pending(), { type: 'cancel', userId: B }, T0)?.code, 'FORBIDDEN');
      for (const [c, status] of [
        [{ type: 'decline', userId: B }, 'declined'],
        [{ type: 'cancel', userId: A }, 'cancelled'],
      ] as const) {
        const { b, fx } = step(pending(), c, T0 + 5);
        assert.deepEqual([b.status, b.phase], [status, 'closed']);
        const closed = { event: 'pk-battle:closed', payload: { battleId: 'battle-1', status } };
        assert.deepEqual(fx, [
          { type: 'write', write: { kind: 'closeUnplayed', status } },
          { type: 'broadcast', message: closed },
          { type: 'notifyHosts', message: closed },
          { type: 'close', at: T0 + 1005 },
        ]);
      }
      const counting = step(pending(), { type: 'countdown' }, T0).b;
      assert.deepEqual(refusal(counting, { type: 'cancel', userId: A }, T0), {
        code: 'INVALID_STATE',
        message: 'Battle is countdown; only a pending battle can be cancelled',
      });
      assert.equal(refusal(counting, { type: 'decline', userId: B }, T0)?.message, 'Battle is countdown');
    });

    it('expire closes a pending invitation; after an accept it does nothing', () => {
      const { b, fx } = step(pending(), { type: 'expire' }, T0 + 60_000);
      assert.equal(b.status, 'expired');
      assert.deepEqual(types(fx), ['write', 'broadcast', 'notifyHosts', 'close']);
      const counting = step(pending(), { type: 'countdown' }, T0).b;
      const after = step(counting, { type: 'expire' }, T0 + 60_000);
      assert.equal(after.b, counting);
      assert.deepEqual(after.fx, []);
    });
  });

  describe('going live', () => {
    it('goLive: records the start, announces it, schedules the end; a host who is not there gets the reconnection grace', () => {
      let b = step(pending(), { type: 'hostConnected', userId: A }, T0).b;
      b = step(b, { type: 'countdown' }, T0 + 1000).b;
      const { b: l, fx } = step(b, { type: 'goLive' }, T0 + 4000);
      assert.deepEqual(
        [l.status, l.phase, l.startsAt, l.endsAt, l.liveSince],
        ['live', 'battle', T0 + 4000, T0 + 124_000, T0 + 4000],
      );
      assert.deepEqual(fx[0], {
        type: 'write',
        write: { kind: 'markLive', startedAt: T0 + 4000, endsAt: T0 + 124_000 },
      });
      const started = fx[1] as Extract<Effect, { type: 'broadcast' }>;
      assert.equal(started.message.event, 'pk-battle:started');
      assert.deepEqual(
        (started.message.payload as { hosts: Array<{ id: string; connected: boolean }> }).hosts.map((h) => [
          h.id,
          h.connected,
        ]),
        [
          [A, true],
          [B, false],
        ],
      );
      assert.equal((fx[2] as Extract<Effect, { type: 'notifyHosts' }>).message.payload.battleId, 'battle-1');
      assert.deepEqual((fx[2] as Extract<Effect, { type: 'notifyHosts' }>).message.payload, {
        ...started.message.payload,
        roomId: 'battle-1',
      });
      assert.deepEqual(fx.slice(3), [
        { type: 'schedule', key: 'timeUp', at: T0 + 124_000, command: { type: 'end' } },
        { type: 'schedule', key: `forfeit:${B}`, at: T0 + 34_000, command: { type: 'end', forfeitedBy: B } },
      ]);
      assert.equal(l.seats[1].forfeitPending, true);
    });

    it('goLive outside the countdown does nothing', () => {
      for (const b of [pending(), live()]) {
        const r = step(b, { type: 'goLive' }, T0 + 9000);
        assert.equal(r.b, b);
        assert.deepEqual(r.fx, []);
      }
    });
  });

  describe('gifts', () => {
    it('refuses gifts with one reason each, and asks for a commit of a good one with its value', () => {
      const l = live();
      const g = { giftId: 'crown', to: A, count: 2, requestId: 'r1' };
      assert.equal(
        refusal(pending(), { type: 'gift', sender: fan, gift: g }, T0)?.message,
        'Battle is pending, not live',
      );
      assert.equal(refusal(l, { type: 'gift', sender: fan, gift: { ...g, to: fan.id } }, T0)?.code, 'VALIDATION');
      assert.equal(refusal(l, { type: 'gift', sender: { id: B, username: 'Bob' }, gift: g }, T0)?.code, 'FORBIDDEN');
      assert.equal(refusal(l, { type: 'gift', sender: { id: A, username: 'Ann' }, gift: g }, T0)?.code, 'FORBIDDEN');
      assert.deepEqual(refusal(l, { type: 'gift', sender: fan, gift: { ...g, giftId: 'nope' } }, T0), {
        code: 'NOT_FOUND',
        message: 'Gift nope not found',
      });
      const huge = { ...l, catalog: new Map([['crown', { ...catalog[1]!, coins: Number.MAX_SAFE_INTEGER }]]) };
      assert.equal(refusal(huge, { type: 'gift', sender: fan, gift: g }, T0)?.message, 'gift: invalid price');
      const { b, fx } = step(l, { type: 'gift', sender: fan, gift: g }, T0 + 5000);
      assert.equal(b, l, 'a gift changes nothing until it is committed');
      assert.deepEqual(fx, [
        {
          type: 'commitGift',
          sender: fan,
          gift: catalog[1],
          to: A,
          count: 2,
          requestId: 'r1',
          value: { coins: 200, hostCoins: 140, platformCoins: 60 },
        },
      ]);
      const ending = step(l, { type: 'end' }, T0 + 6000).b;
      assert.equal(refusal(ending, { type: 'gift', sender: fan, gift: g }, T0)?.message, 'Battle is ending, not live');
    });

    it('a committed gift scores once: score, top gifters, the item to announce; a replay moves nothing', () => {
      const l = live();
      const crown = { giftId: 'crown', recipientId: A, count: 2, coins: 200, requestId: 'r1' };
      const { b, fx } = step(l, { type: 'giftCommitted', sender: fan, gift: crown }, T0 + 5000);
      assert.deepEqual(scoresOf(b.tally), { [A]: 200, [B]: 0 });
      assert.deepEqual(fx, [
        {
          type: 'announceGift',
          item: {
            giftId: 'crown',
            count: 2,
            from: { id: fan.id, username: fan.username },
            to: A,
            coins: 200,
            requestId: 'r1',
          },
        },
      ]);
      const replay = step(b, { type: 'giftCommitted', sender: fan, gift: crown }, T0 + 5001);
      assert.equal(replay.b, b);
      assert.deepEqual(replay.fx, []);
      // Another sender with the same requestId is another gift; the same sender's next key adds up.
      let next = step(b, { type: 'giftCommitted', sender: fan2, gift: { ...crown, coins: 100, count: 1 } }, T0).b;
      next = step(next, { type: 'giftCommitted', sender: fan, gift: { ...crown, requestId: 'r2', coins: 1 } }, T0).b;
      assert.equal(scoresOf(next.tally)[A], 301);
      const s = summary(next, 7);
      assert.deepEqual(
        s.hosts[0]!.topGifters.map((g) => [g.userId, g.coins]),
        [
          [fan.id, 201],
          [fan2.id, 100],
        ],
      );
      assert.deepEqual([s.viewerCount, s.scores, s.roomId, s.winner], [7, { [A]: 301, [B]: 0 }, 'battle-1', null]);
    });

    it('gifts still in flight at the end are scored when their commit answers', () => {
      const ending = step(live(), { type: 'end' }, T0 + 6000).b;
      const gift = { giftId: 'rose', recipientId: B, count: 1, coins: 1, requestId: 'late' };
      const { b, fx } = step(ending, { type: 'giftCommitted', sender: fan, gift }, T0 + 6001);
      assert.equal(scoresOf(b.tally)[B], 1);
      assert.deepEqual(types(fx), ['announceGift']);
    });
  });

  describe('presence and forfeits', () => {
    it('counts each host’s connected time while live (drops and returns included)', () => {
      let b = live(); // both connected from T0+4000
      b = step(b, { type: 'hostDropped', userId: B }, T0 + 14_000).b; // B: 10 s
      b = step(b, { type: 'hostConnected', userId: B }, T0 + 24_000).b; // back after 10 s away
      const a = activityAt(b, T0 + 44_000);
      assert.deepEqual(a, { liveMs: 40_000, presentMs: { [A]: 40_000, [B]: 30_000 }, connectedAtEnd: [A, B] });
      assert.deepEqual(activityAt(pending(), T0 + 5), { liveMs: 0, presentMs: { [A]: 0, [B]: 0 }, connectedAtEnd: [] });
    });

    it('a host who leaves on purpose gets the grace; returning cancels the forfeit', () => {
      const { b, fx } = step(live(), { type: 'hostLeft', userId: A }, T0 + 10_000);
      assert.equal(b.seats[0].connected, false);
      assert.deepEqual(fx, [
        { type: 'schedule', key: `forfeit:${A}`, at: T0 + 40_000, command: { type: 'end', forfeitedBy: A } },
      ]);
      const back = step(b, { type: 'hostConnected', userId: A }, T0 + 20_000);
      assert.deepEqual(back.fx, [{ type: 'cancel', key: `forfeit:${A}` }]);
      assert.equal(back.b.seats[0].forfeitPending, false);
      // The timer fires anyway (it was already running): the end is by forfeit.
      const end = step(b, { type: 'end', forfeitedBy: A }, T0 + 40_000);
      assert.deepEqual(end.fx.at(-1), {
        type: 'finish',
        forfeitedBy: A,
        activity: { liveMs: 36_000, presentMs: { [A]: 6_000, [B]: 36_000 }, connectedAtEnd: [B] },
      });
    });

    it('a dropped host who does not come back forfeits as soon as the reconnection ends', () => {
      let b = step(live(), { type: 'hostDropped', userId: B }, T0 + 10_000).b;
      assert.equal(b.seats[1].dropped, true);
      const left = step(b, { type: 'hostLeft', userId: B }, T0 + 40_000);
      b = left.b;
      assert.equal(b.phase, 'ending');
      assert.deepEqual(types(left.fx), ['finish']);
      assert.equal((left.fx[0] as Extract<Effect, { type: 'finish' }>).forfeitedBy, B);
    });

    it('leaving before the battle or after it forfeits nothing; viewers and strangers change nothing', () => {
      const p = step(pending(), { type: 'hostLeft', userId: A }, T0);
      assert.deepEqual(p.fx, []);
      for (const type of ['hostConnected', 'hostDropped', 'hostLeft'] as const) {
        const b = live();
        const r = step(b, { type, userId: fan.id }, T0 + 5000);
        assert.equal(r.b, b);
        assert.deepEqual(r.fx, []);
      }
    });
  });

  describe('the end', () => {
    it('time up: phase ending (no more gifts), forfeit timers cancelled, the finish asked for once', () => {
      const l = step(live(), { type: 'hostLeft', userId: B }, T0 + 10_000).b; // B's forfeit timer runs
      const { b, fx } = step(l, { type: 'end' }, T0 + 124_000);
      assert.deepEqual([b.status, b.phase], ['live', 'ending']);
      assert.deepEqual(fx, [
        { type: 'cancel', key: `forfeit:${B}` },
        {
          type: 'finish',
          forfeitedBy: undefined,
          activity: { liveMs: 120_000, presentMs: { [A]: 120_000, [B]: 6_000 }, connectedAtEnd: [A] },
        },
      ]);
      const again = step(b, { type: 'end', forfeitedBy: A }, T0 + 124_001);
      assert.equal(again.b, b, 'the first end wins');
      assert.deepEqual(again.fx, []);
      assert.deepEqual(step(pending(), { type: 'end' }, T0).fx, [], 'nothing to end before the countdown');
    });

    it('a host may forfeit during the countdown', () => {
      const counting = step(pending(), { type: 'countdown' }, T0).b;
      const { b, fx } = step(counting, { type: 'end', forfeitedBy: A }, T0 + 100);
      assert.equal(b.phase, 'ending');
      assert.deepEqual(fx, [
        { type: 'finish', forfeitedBy: A, activity: { liveMs: 0, presentMs: { [A]: 0, [B]: 0 }, connectedAtEnd: [] } },
      ]);
    });

    it('finished: the recorded result, patched before it is announced; the room closes after the result phase', () => {
      const ending = step(live(), { type: 'end' }, T0 + 124_000).b;
      const { b, fx } = step(ending, { type: 'finished', result: result() }, T0 + 124_500);
      assert.deepEqual([b.status, b.phase, b.winnerId], ['ended', 'result', A]);
      assert.deepEqual(scoresOf(b.tally), { [A]: 200, [B]: 30 }, 'the committed rows are the final word');
      const ended = {
        event: 'pk-battle:ended',
        payload: {
          battleId: 'battle-1',
          winner: A,
          scores: { [A]: 200, [B]: 30 },
          rewards: result().rewards,
          mvp: result().mvp,
          reason: 'time',
        },
      };
      assert.deepEqual(fx, [
        { type: 'flushGifts' },
        { type: 'patchNow' },
        { type: 'broadcast', message: ended },
        { type: 'notifyHosts', message: ended },
        { type: 'close', at: T0 + 134_500 },
      ]);
      assert.deepEqual([isOpen(b), interruptedOnClose(b)], [false, false]);
      assert.equal(
        refusal(b, { type: 'gift', sender: fan, gift: { giftId: 'rose', to: A, count: 1, requestId: 'x' } }, T0)
          ?.message,
        'Battle is ended, not live',
      );
    });

    it('fail: interrupted, gifts refused, closed; failing twice does nothing more; the room records it as interrupted', () => {
      const ending = step(live(), { type: 'end' }, T0 + 124_000).b;
      const { b, fx } = step(ending, { type: 'fail' }, T0 + 125_000);
      assert.deepEqual([b.status, b.phase], ['interrupted', 'failed']);
      assert.deepEqual(fx, [
        {
          type: 'broadcast',
          message: { event: 'pk-battle:closed', payload: { battleId: 'battle-1', status: 'interrupted' } },
        },
        { type: 'close', at: T0 + 126_000 },
      ]);
      assert.equal(interruptedOnClose(b), true);
      assert.deepEqual(step(b, { type: 'fail' }, T0 + 125_001).fx, [], 'failed once');
      assert.deepEqual(step(b, { type: 'goLive' }, T0).fx, []);
      assert.deepEqual(step(b, { type: 'end' }, T0).fx, []);
      assert.equal(
        refusal(b, { type: 'gift', sender: fan, gift: { giftId: 'rose', to: A, count: 1, requestId: 'x' } }, T0)
          ?.message,
        'Battle is ending, not live',
      );
      // An expiry whose write failed: the failure still closes the room (the room keeps the first close only).
      const expired = step(pending(), { type: 'expire' }, T0).b;
      assert.deepEqual(types(step(expired, { type: 'fail' }, T0).fx), ['broadcast', 'close']);
    });

    it('what a closing room records: interrupted unless the battle ended or closed unplayed', () => {
      const counting = step(pending(), { type: 'countdown' }, T0).b;
      const declined = step(pending(), { type: 'decline', userId: B }, T0).b;
      assert.deepEqual(
        [pending(), counting, live(), declined].map((b) => [isOpen(b), interruptedOnClose(b)]),
        [
          [true, true],
          [true, true],
          [true, true],
          [false, false],
        ],
      );
    });
  });
});

describe('PK gift scoring', () => {
  it('values a gift and splits it without losing a coin', () => {
    assert.deepEqual(giftValue(100, 2, 0.7), { coins: 200, hostCoins: 140, platformCoins: 60 });
    assert.deepEqual(giftValue(1, 1, 0.7), { coins: 1, hostCoins: 0, platformCoins: 1 });
    assert.deepEqual(giftValue(5, 3, 1), { coins: 15, hostCoins: 15, platformCoins: 0 });
  });

  it('keeps the top three per side as a full ranking would (most coins, earliest first on ties)', () => {
    let t: Tally = emptyTally([A, B]);
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 400; i++) {
      const sender = { id: `u${rand(12)}`, username: 'u' };
      const r = scoreGift(t, sender, {
        giftId: 'rose',
        recipientId: rand(2) ? A : B,
        count: 1,
        coins: [1, 5, 10, 100][rand(4)]!,
        requestId: `q${i}`,
      });
      assert.ok(r);
      t = r.tally;
      for (const h of [A, B]) {
        const side = t.sides[h]!;
        const full = topContributors(side.gifters.values(), 3).map((c) => [c.userId, c.coins]);
        assert.deepEqual(
          side.top.map((c) => [c.userId, c.coins]),
          full,
          `gift ${i}`,
        );
      }
    }
    const total = Object.values(scoresOf(t)).reduce((x, y) => x + y, 0);
    const given = [A, B].flatMap((h) => [...t.sides[h]!.gifters.values()]).reduce((x, g) => x + g.coins, 0);
    assert.equal(total, given, 'score = sum of contributions');
  });

  it('the persistent map: a set leaves the old map as it was; many keys, all found', () => {
    let m = PMap.empty<number>();
    const maps = [m];
    for (let i = 0; i < 5000; i++) {
      m = m.set(`k${i}`, i);
      maps.push(m);
    }
    m = m.set('k7', -7); // overwrite: size unchanged
    assert.equal(m.size, 5000);
    assert.equal(m.get('k7'), -7);
    assert.equal(maps[5000]!.get('k7'), 7, 'the older map still has the old value');
    assert.equal(maps[100]!.get('k100'), undefined, 'and not the later keys');
    assert.equal(maps[100]!.size, 100);
    assert.equal([...m.values()].length, 5000);
    for (let i = 0; i < 5000; i += 97) assert.equal(m.get(`k${i}`), i === 7 ? -7 : i);
  });

  it('a gift to someone who is not a host of the battle scores nothing', () => {
    const t = emptyTally([A, B]);
    assert.equal(scoreGift(t, fan, { giftId: 'rose', recipientId: 'x', count: 1, coins: 1, requestId: 'r' }), null);
  });

  it('one gift event per batch: the newest gift on top, every gift in `gifts`', () => {
    const items = [
      { giftId: 'rose', count: 3, from: { id: fan.id, username: fan.username }, to: A, coins: 3, requestId: 'a' },
      { giftId: 'crown', count: 1, from: { id: fan2.id, username: fan2.username }, to: B, coins: 100, requestId: 'b' },
    ];
    const e = giftEvent('battle-1', new Map(catalog.map((g) => [g.id, g])), items, { [A]: 3, [B]: 100 });
    assert.deepEqual(e, {
      battleId: 'battle-1',
      gift: { id: 'crown', name: 'Crown', coins: 100, animationKey: 'crown_drop', count: 1 },
      from: { id: fan2.id, username: fan2.username },
      to: B,
      coins: 100,
      requestId: 'b',
      scores: { [A]: 3, [B]: 100 },
      gifts: items,
    });
    assert.equal(giftEvent('battle-1', new Map(), [], {}), null);
  });
});
