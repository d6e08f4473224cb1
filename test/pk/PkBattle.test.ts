import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { matchMaker } from '@colyseus/core';
import type { Room } from '@colyseus/sdk';
import { pkResults } from '../../src/stores/pkResults';
import { pkStore } from '../../src/stores/pkStore';
import {
  api,
  collect,
  config,
  joinInbox,
  nextMessage,
  registerUser,
  registerUsers,
  sdk,
  server,
  type TestUser,
  waitFor,
} from '../helpers';

async function createBattle(a: TestUser, b: TestUser, duration = 1) {
  const res = await api('POST', '/api/pk-battles', { token: a.token, body: { opponent: b.id, duration } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data as { battleId: string; roomId: string; status: string };
}

async function join(user: TestUser, roomId: string): Promise<Room> {
  const room = await sdk(user).joinById(roomId);
  await waitFor(() => room.state?.battleId, 3000, 'initial state');
  return room;
}

/** A battle that is live, with both hosts in the room. */
async function liveBattle(duration = 1) {
  const [a, b] = await registerUsers(2, 'host');
  const battle = await createBattle(a!, b!, duration);
  const roomA = await join(a!, battle.roomId);
  const roomB = await join(b!, battle.roomId);
  const started = nextMessage(roomA, 'pk-battle:started');
  const acc = await api('POST', `/api/pk-battles/${battle.battleId}/accept`, { token: b!.token });
  assert.equal(acc.status, 200, JSON.stringify(acc.body));
  const startedEvent = await started;
  return { a: a!, b: b!, battle, roomA, roomB, startedEvent };
}

const balanceOf = (u: TestUser) => server().context.wallet.balance(u.id);

describe('PK battles', function () {
  this.timeout(30_000);

  it('lists the seeded gift catalog; operators add gifts', async () => {
    const u = await registerUser('gifts');
    const res = await api('GET', '/api/gifts', { token: u.token });
    assert.equal(res.status, 200);
    const rose = res.body.data.gifts.find((g: any) => g.id === 'rose');
    assert.deepEqual(rose, { id: 'rose', name: 'Rose', coins: 1, animationKey: 'rose' });
    const asUser = await api('POST', '/api/gifts', {
      token: u.token,
      body: { id: 'x1', name: 'X', coins: 3, animationKey: 'x' },
    });
    assert.equal(asUser.status, 401);
  });

  it('invite → accept → gifts from several viewers → end: winner, rewards, persisted rows, leaderboard, stats', async () => {
    const [a, b] = await registerUsers(2, 'host');
    const viewers = await registerUsers(4, 'fan');
    const inboxB = await joinInbox(b!);
    const invited = nextMessage(inboxB.room, 'pk-battle:invited');
    const battle = await createBattle(a!, b!, 1);
    assert.equal(battle.status, 'pending');
    const invite = await invited;
    assert.equal(invite.battleId, battle.battleId);
    assert.equal(invite.from.id, a!.id);

    const roomA = await join(a!, battle.roomId);
    const roomB = await join(b!, battle.roomId);
    const viewerRooms = await Promise.all(viewers.map((v) => join(v, battle.roomId)));
    await waitFor(() => roomA.state.viewerCount === 4, 3000, 'viewer count');
    assert.equal(roomA.state.status, 'pending');
    assert.equal(roomA.state.hostA.id, a!.id);

    const started = nextMessage(viewerRooms[0]!, 'pk-battle:started');
    const accepted = await api('POST', `/api/pk-battles/${battle.battleId}/accept`, { token: b!.token });
    assert.equal(accepted.status, 200);
    assert.equal(accepted.body.data.status, 'countdown');
    const s = await started;
    assert.ok(s.endsAt > s.startedAt);
    await waitFor(() => viewerRooms[1]!.state.status === 'live', 3000, 'live on a viewer');

    const giftEvents = collect(viewerRooms[3]!, 'pk-battle:gift');
    const balancesBefore = await Promise.all(viewers.map(balanceOf));
    const hostBefore = await Promise.all([balanceOf(a!), balanceOf(b!)]);
    // v0: 2 crowns (200) to A over the room; v1: a crown to B over HTTP; v2: 30 roses to B; v3: a star to A.
    const acks = await Promise.all([
      (async () => {
        const ack = nextMessage(viewerRooms[0]!, 'pk-battle:gift-accepted');
        viewerRooms[0]!.send('gift', { giftId: 'crown', to: a!.id, count: 2, requestId: 'r1' });
        return ack;
      })(),
      api('POST', `/api/pk-battles/${battle.battleId}/gift`, {
        token: viewers[1]!.token,
        body: { giftId: 'crown', to: b!.id, requestId: 'r2' },
      }).then((r) => {
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.body.data;
      }),
      (async () => {
        const ack = nextMessage(viewerRooms[2]!, 'pk-battle:gift-accepted');
        viewerRooms[2]!.send('gift', { giftId: 'rose', to: b!.id, count: 30, requestId: 'r3' });
        return ack;
      })(),
      (async () => {
        const ack = nextMessage(viewerRooms[3]!, 'pk-battle:gift-accepted');
        viewerRooms[3]!.send('gift', { giftId: 'star', to: a!.id, requestId: 'r4' });
        return ack;
      })(),
    ]);
    assert.deepEqual(
      acks.map((x: any) => x.coins),
      [200, 100, 30, 20],
    );
    assert.deepEqual(
      acks.map((x: any, i) => x.balance === balancesBefore[i]! - x.coins),
      [true, true, true, true],
    );
    await waitFor(
      () => viewerRooms[3]!.state.hostA.score === 220 && viewerRooms[3]!.state.hostB.score === 130,
      3000,
      'scores',
    );
    assert.deepEqual(
      viewerRooms[3]!.state.hostA.topGifters.map((g: any) => [g.userId, g.coins]),
      [
        [viewers[0]!.id, 200],
        [viewers[3]!.id, 20],
      ],
    );
    await waitFor(() => giftEvents.reduce((n, e) => n + e.gifts.length, 0) === 4, 3000, 'gift events');
    const last = giftEvents[giftEvents.length - 1]!;
    assert.deepEqual(last.scores, { [a!.id]: 220, [b!.id]: 130 });
    assert.equal(last.battleId, battle.battleId);
    // Host earnings: 70% of what each side received, credited as the gifts were committed.
    assert.deepEqual(await Promise.all([balanceOf(a!), balanceOf(b!)]), [hostBefore[0]! + 154, hostBefore[1]! + 91]);

    const ended = await nextMessage(viewerRooms[0]!, 'pk-battle:ended', 10_000);
    assert.equal(ended.winner, a!.id);
    assert.deepEqual(ended.scores, { [a!.id]: 220, [b!.id]: 130 });
    assert.deepEqual(ended.mvp, { userId: viewers[0]!.id, username: viewers[0]!.username, coins: 200 });
    const winnerReward = ended.rewards.find((r: any) => r.userId === a!.id);
    assert.deepEqual(
      { result: winnerReward.result, coins: winnerReward.coins, xp: winnerReward.xp, level: winnerReward.level },
      { result: 'win', coins: config().PK_WINNER_REWARD_COINS, xp: config().PK_WINNER_XP, level: 2 },
    );
    await waitFor(() => roomA.state.winnerId === a!.id, 3000, 'winner in state');
    assert.equal(await balanceOf(a!), hostBefore[0]! + 154 + config().PK_WINNER_REWARD_COINS);
    const me = await api('GET', '/api/auth/me', { token: a!.token });
    assert.equal(me.body.data.user.experience, config().PK_WINNER_XP);
    assert.equal(me.body.data.user.level, 2);

    const stored = await api('GET', `/api/pk-battles/${battle.battleId}`, { token: viewers[0]!.token });
    assert.equal(stored.body.data.status, 'ended');
    assert.equal(stored.body.data.winnerId, a!.id);
    assert.deepEqual([stored.body.data.scoreA, stored.body.data.scoreB], [220, 130]);
    const contributions = await server().context.ds.query(
      'SELECT user_id, host_id, coins::int, gifts FROM pk_contributions WHERE battle_id = $1 ORDER BY coins DESC',
      [battle.battleId],
    );
    assert.equal(contributions.length, 4);
    assert.deepEqual(contributions[0], { user_id: viewers[0]!.id, host_id: a!.id, coins: 200, gifts: 1 });

    const stats = await api('GET', `/api/pk-battles/user/${a!.id}`, { token: a!.token });
    assert.deepEqual(stats.body.data.stats, { battles: 1, wins: 1, losses: 0, draws: 0, points: 220, winRate: 100 });
    const statsB = await api('GET', `/api/pk-battles/user/${b!.id}`, { token: b!.token });
    assert.equal(statsB.body.data.stats.losses, 1);

    const board = await api('GET', '/api/pk-battles/leaderboard/rankings?period=daily&limit=100', { token: b!.token });
    assert.equal(board.status, 200);
    const ranks = board.body.data.rankings as any[];
    const rankA = ranks.find((r) => r.userId === a!.id);
    const rankB = ranks.find((r) => r.userId === b!.id);
    assert.ok(rankA && rankB && rankA.rank < rankB.rank);
    assert.deepEqual([rankA.points, rankA.wins], [220, 1]);
    assert.equal(board.body.data.me.userId, b!.id);
    assert.equal(board.body.data.me.rank, rankB.rank);
    const bad = await api('GET', '/api/pk-battles/leaderboard/rankings?period=yearly', { token: b!.token });
    assert.equal(bad.status, 400);

    const integrity = await pkStore().integrity(battle.battleId);
    assert.equal(integrity.ledgerDebited, 350);
    assert.equal(integrity.giftCoins, 350);
    assert.equal(integrity.hostCoins + integrity.platformCoins, 350);
    assert.equal(integrity.ledgerEarned, integrity.hostCoins);
    await Promise.all([roomA, roomB, ...viewerRooms, inboxB.room].map((r) => r.leave().catch(() => undefined)));
  });

  it('a concurrent gift storm over room and HTTP balances to the coin', async () => {
    // Long enough that the storm never meets the end on a loaded machine (a 3 s battle did: 409 ending).
    const { a, b, battle, roomA, roomB } = await liveBattle(10);
    const viewers = await registerUsers(12, 'storm');
    const rooms = await Promise.all(viewers.map((v) => join(v, battle.roomId)));
    const perViewer = 15;
    const results = await Promise.allSettled(
      viewers.flatMap((v, i) =>
        Array.from({ length: perViewer }, (_, k) => {
          const body = { giftId: k % 3 === 0 ? 'heart' : 'rose', to: (i + k) % 2 ? a.id : b.id, requestId: `s-${k}` };
          // Half over HTTP, half over the room; every 5th gift is also retried with the same requestId.
          const send = () =>
            k % 2
              ? api('POST', `/api/pk-battles/${battle.battleId}/gift`, { token: v.token, body }).then((r) => {
                  if (r.status >= 300) throw new Error(`${r.status} ${r.body.message}`);
                  return r.body.data;
                })
              : new Promise((resolve, reject) => {
                  const off = rooms[i]!.onMessage('pk-battle:gift-accepted', (m: any) => {
                    if (m.requestId === body.requestId) {
                      off();
                      resolve(m);
                    }
                  });
                  setTimeout(() => reject(new Error('no ack')), 10_000);
                  rooms[i]!.send('gift', body);
                });
          return k % 5 === 0 ? Promise.all([send(), send()]) : send();
        }),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    assert.equal(failed.length, 0, String((failed[0] as PromiseRejectedResult | undefined)?.reason));

    const integrity = await pkStore().integrity(battle.battleId);
    const expected = viewers.length * (5 * 5 + 10 * 1); // per viewer: 5 hearts (5) + 10 roses (1)
    assert.equal(integrity.gifts, viewers.length * perViewer);
    assert.equal(integrity.giftCoins, expected);
    assert.equal(integrity.ledgerDebited, expected);
    assert.equal(integrity.ledgerDebits, viewers.length * perViewer);
    assert.equal(integrity.hostCoins + integrity.platformCoins, expected);
    assert.equal(integrity.ledgerEarned, integrity.hostCoins);
    await waitFor(() => roomA.state.hostA.score + roomA.state.hostB.score === expected, 5000, 'scores = debits');
    for (const [i, v] of viewers.entries())
      assert.equal(await balanceOf(v), v.coins - expected / viewers.length, `viewer ${i}`);
    await Promise.all([roomA, roomB, ...rooms].map((r) => r.leave().catch(() => undefined)));
  });

  it('a retried gift whose first commit answer was lost is scored once on the live score', async () => {
    const { a, battle, roomA, roomB } = await liveBattle(10); // long enough not to end (the end rescores)
    const [viewer] = await registerUsers(1, 'ambig');
    const crown = (await pkStore().listGifts()).find((g) => g.id === 'crown')!;
    // The first attempt committed, but the room never heard back (a lost commit answer).
    const [first] = await pkStore().recordGifts([
      {
        battleId: battle.battleId,
        senderId: viewer!.id,
        recipientId: a.id,
        gift: crown,
        count: 1,
        requestId: 'lost-answer',
        hostShare: config().PK_HOST_SHARE,
      },
    ]);
    assert.ok(first && !(first instanceof Error));
    const body = { giftId: 'crown', to: a.id, count: 1, requestId: 'lost-answer' };
    const retry = await api('POST', `/api/pk-battles/${battle.battleId}/gift`, { token: viewer!.token, body });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.data.replayed, true);
    const again = await api('POST', `/api/pk-battles/${battle.battleId}/gift`, { token: viewer!.token, body });
    assert.equal(again.body.data.replayed, true);
    const integrity = await pkStore().integrity(battle.battleId);
    assert.equal(integrity.gifts, 1, 'charged once');
    // A fresh gift after the replays: the live score is exactly both committed gifts (the replay counted once).
    const rose = await api('POST', `/api/pk-battles/${battle.battleId}/gift`, {
      token: viewer!.token,
      body: { giftId: 'rose', to: a.id, count: 1, requestId: 'fresh' },
    });
    assert.equal(rose.status, 201);
    await waitFor(() => roomA.state.hostA.score === crown.coins + 1, 5000, 'live score = committed gifts');
    assert.equal(roomA.state.status, 'live');
    assert.equal((await pkStore().integrity(battle.battleId)).giftCoins, crown.coins + 1);
    await Promise.all([roomA, roomB].map((r) => r.leave().catch(() => undefined)));
  });

  it('announces a gift right after the commit that makes it real (not on the room tick); the next patch has the score', async () => {
    const { a, battle, roomA, roomB } = await liveBattle();
    const [fan, watcher] = await registerUsers(2, 'tick');
    const fanRoom = await join(fan!, battle.roomId);
    const watcherRoom = await join(watcher!, battle.roomId);
    const room = matchMaker.getLocalRoomById(battle.roomId)!;
    // Stop the room's tick: only the commit path can announce the gift now.
    room.setSimulationInterval();
    try {
      const event = nextMessage(watcherRoom, 'pk-battle:gift');
      fanRoom.send('gift', { giftId: 'heart', to: a.id, requestId: 'no-tick' });
      const e = await event;
      assert.equal(e.requestId, 'no-tick');
      assert.equal(e.scores[a.id], 5);
      assert.deepEqual(
        e.gifts.map((g: { requestId: string }) => g.requestId),
        ['no-tick'],
      );
      // The state already holds the committed score, so the first patch after the commit shows it.
      await waitFor(() => watcherRoom.state.hostA.score === 5, 3000, 'score in the state patch');
    } finally {
      room.setSimulationInterval(() => undefined, 100); // the clock ticks again (battle timers)
    }
    await Promise.all([roomA, roomB, fanRoom, watcherRoom].map((r) => r.leave().catch(() => undefined)));
  });

  it('refuses bad gifts with an error to the sender only, and changes nothing', async () => {
    // Long enough not to end while the refusals are checked (each must fail for its own reason, not "ending").
    const { a, b, battle, roomA, roomB } = await liveBattle(10);
    const [rich, poor, other] = await registerUsers(3, 'gv');
    const poorBalance = await balanceOf(poor!);
    await server().context.wallet.debit({
      userId: poor!.id,
      amount: poorBalance - 3,
      reason: 'test',
      idempotencyKey: randomUUID(),
    });
    const richRoom = await join(rich!, battle.roomId);
    const poorRoom = await join(poor!, battle.roomId);
    const otherRoom = await join(other!, battle.roomId);
    const othersErrors = collect(otherRoom, 'error');

    const expectError = async (room: Room, body: unknown, code: string) => {
      const err = nextMessage(room, 'error');
      room.send('gift', body);
      const e = await err;
      assert.equal(e.code, code, JSON.stringify(e));
      assert.equal(e.type, 'gift');
      return e;
    };
    await expectError(poorRoom, { giftId: 'crown', to: a.id, requestId: 'p1' }, 'INSUFFICIENT_COINS');
    await expectError(richRoom, { giftId: 'crown', to: rich!.id, requestId: 'x1' }, 'VALIDATION'); // not a host
    await expectError(richRoom, { giftId: 'nope', to: a.id, requestId: 'x2' }, 'NOT_FOUND');
    await expectError(richRoom, { giftId: 'rose', to: a.id, count: 0, requestId: 'x3' }, 'VALIDATION');
    await expectError(richRoom, { giftId: 'rose', to: 'not-a-uuid', requestId: 'x4' }, 'VALIDATION');
    await expectError(richRoom, 'garbage', 'VALIDATION');
    await expectError(roomA, { giftId: 'rose', to: b.id, requestId: 'h1' }, 'FORBIDDEN'); // host gifting the rival
    await expectError(roomA, { giftId: 'rose', to: a.id, requestId: 'h2' }, 'FORBIDDEN'); // host gifting itself
    const httpSelf = await api('POST', `/api/pk-battles/${battle.battleId}/gift`, {
      token: b.token,
      body: { giftId: 'rose', to: b.id, requestId: 'h3' },
    });
    assert.equal(httpSelf.status, 403);
    assert.equal(httpSelf.body.success, false);
    const httpBad = await api('POST', `/api/pk-battles/${battle.battleId}/gift`, {
      token: rich!.token,
      body: { to: a.id },
    });
    assert.equal(httpBad.status, 400);

    // Duplicate requestId: charged once, counted once.
    const before = await balanceOf(rich!);
    const first = nextMessage(richRoom, 'pk-battle:gift-accepted');
    richRoom.send('gift', { giftId: 'heart', to: a.id, requestId: 'dup' });
    assert.equal((await first).replayed, false);
    const again = await api('POST', `/api/pk-battles/${battle.battleId}/gift`, {
      token: rich!.token,
      body: { giftId: 'heart', to: a.id, requestId: 'dup' },
    });
    assert.equal(again.status, 200);
    assert.equal(again.body.data.replayed, true);
    assert.equal(await balanceOf(rich!), before - 5);
    await waitFor(() => otherRoom.state.hostA.score === 5, 3000, 'score once');
    assert.equal(otherRoom.state.hostB.score, 0);
    assert.equal(await balanceOf(poor!), 3);
    assert.equal(othersErrors.length, 0, 'errors go to the sender only');
    await Promise.all([roomA, roomB, richRoom, poorRoom, otherRoom].map((r) => r.leave().catch(() => undefined)));
  });

  it('refuses self-battles, second battles, bad durations and strangers accepting', async () => {
    const [a, b, c] = await registerUsers(3, 'cr');
    const self = await api('POST', '/api/pk-battles', { token: a!.token, body: { opponent: a!.id, duration: 5 } });
    assert.equal(self.status, 400);
    for (const duration of [0, 11, 2.5, '5']) {
      const r = await api('POST', '/api/pk-battles', { token: a!.token, body: { opponent: b!.id, duration } });
      assert.equal(r.status, 400, `duration ${duration}`);
    }
    const noSuch = await api('POST', '/api/pk-battles', {
      token: a!.token,
      body: { opponent: randomUUID(), duration: 5 },
    });
    assert.equal(noSuch.status, 404);
    // Two creates at once by the same inviter: exactly one wins.
    const both = await Promise.all([
      api('POST', '/api/pk-battles', { token: a!.token, body: { opponent: b!.id, duration: 5 } }),
      api('POST', '/api/pk-battles', { token: a!.token, body: { opponent: c!.id, duration: 5 } }),
    ]);
    assert.deepEqual(both.map((r) => r.status).sort(), [201, 409]);
    const battle = both.find((r) => r.status === 201)!.body.data;
    // A pending invitation holds only the inviter: the invitee may start a battle of their own.
    const invitee = battle.hosts[1].id === b!.id ? b! : c!;
    const other = invitee === b ? c! : b!;
    const own = await api('POST', '/api/pk-battles', {
      token: invitee.token,
      body: { opponent: other.id, duration: 5 },
    });
    assert.equal(own.status, 201);
    // ...and accepting the first invitation is then refused, since they are in their own battle.
    const late = await api('POST', `/api/pk-battles/${battle.battleId}/accept`, { token: invitee.token });
    assert.equal(late.status, 409);
    const stranger = await api('POST', `/api/pk-battles/${battle.battleId}/accept`, { token: other.token });
    assert.equal(stranger.status, 403);
  });

  it('decline and cancel end a pending battle without scores and tell both inboxes; invites expire', async () => {
    const [a, b] = await registerUsers(2, 'dc');
    const inboxA = await joinInbox(a!);
    const battle = await createBattle(a!, b!, 3);
    const closedA = nextMessage(inboxA.room, 'pk-battle:closed');
    const notCreator = await api('DELETE', `/api/pk-battles/${battle.battleId}`, { token: b!.token });
    assert.equal(notCreator.status, 403);
    const declined = await api('POST', `/api/pk-battles/${battle.battleId}/decline`, { token: b!.token });
    assert.equal(declined.status, 200);
    assert.equal((await closedA).status, 'declined');
    const after = await api('POST', `/api/pk-battles/${battle.battleId}/accept`, { token: b!.token });
    assert.equal(after.status, 409);

    const second = await createBattle(a!, b!, 3); // hosts were freed
    const cancelled = await api('DELETE', `/api/pk-battles/${second.battleId}`, { token: a!.token });
    assert.equal(cancelled.status, 200);
    const row = await api('GET', `/api/pk-battles/${second.battleId}`, { token: a!.token });
    assert.equal(row.body.data.status, 'cancelled');

    const third = await createBattle(a!, b!, 3);
    const expired = nextMessage(inboxA.room, 'pk-battle:closed', 10_000);
    assert.equal((await expired).status, 'expired');
    const late = await api('POST', `/api/pk-battles/${third.battleId}/accept`, { token: b!.token });
    assert.equal(late.status, 409);
    await inboxA.room.leave();
  });

  it('gifts after the end are refused; a host who leaves and does not return forfeits', async () => {
    const { a, b, battle, roomA } = await liveBattle(5);
    const [v] = await registerUsers(1, 'late');
    const viewerRoom = await join(v!, battle.roomId);
    const gift = nextMessage(viewerRoom, 'pk-battle:gift-accepted');
    viewerRoom.send('gift', { giftId: 'crown', to: b.id, requestId: 'g1' });
    await gift;
    const ended = nextMessage(viewerRoom, 'pk-battle:ended', 10_000);
    await roomA.leave(); // host A walks away mid-battle
    const result = await ended;
    assert.equal(result.reason, 'forfeit');
    assert.equal(result.winner, b.id);
    const before = await balanceOf(v!);
    const err = nextMessage(viewerRoom, 'error');
    viewerRoom.send('gift', { giftId: 'rose', to: b.id, requestId: 'g2' });
    assert.equal((await err).code, 'INVALID_STATE');
    const http = await api('POST', `/api/pk-battles/${battle.battleId}/gift`, {
      token: v!.token,
      body: { giftId: 'rose', to: b.id, requestId: 'g3' },
    });
    assert.equal(http.status, 409);
    assert.equal(await balanceOf(v!), before);
    const list = await api('GET', '/api/pk-battles/active/list?limit=100', { token: v!.token });
    assert.ok(!list.body.data.battles.some((x: any) => x.id === battle.battleId));
    assert.equal(a.id !== b.id, true);
  });

  it('webrtc:start-pk-battle from a viewer is refused on the webrtc:error channel', async () => {
    const { battle, roomA, roomB } = await liveBattle(2);
    const [fan] = await registerUsers(1, 'pkv');
    const viewer = await join(fan!, battle.roomId);
    try {
      const refused = nextMessage(viewer, 'webrtc:error');
      viewer.send('webrtc:start-pk-battle', {});
      assert.deepEqual(
        { type: (await refused).type, code: (await refused).code },
        { type: 'webrtc:start-pk-battle', code: 'FORBIDDEN' },
      );
    } finally {
      await Promise.all([viewer, roomA, roomB].map((r) => r.leave().catch(() => undefined)));
    }
  });

  it('a finish the database refuses: phase failed (never back to live), gifts refused, recorded as interrupted, hosts freed', async () => {
    const { a, b, battle, roomA, roomB } = await liveBattle(1);
    const [v] = await registerUsers(1, 'fail');
    const viewerRoom = await join(v!, battle.roomId);
    const statuses: string[] = [];
    viewerRoom.onStateChange((st: any) => statuses.push(`${st.status}/${st.phase}`));
    const store = pkStore();
    const results = pkResults();
    const original = results.finishBattle;
    let attempts = 0;
    // Only this battle's finish fails: battles of earlier tests may end meanwhile.
    results.finishBattle = async (...args: Parameters<typeof original>) => {
      if (args[0] !== battle.battleId) return original.apply(results, args);
      attempts++;
      throw new Error('injected: database unavailable');
    };
    try {
      await waitFor(() => viewerRoom.state.phase === 'failed', 15_000, 'the failed phase');
      assert.equal(attempts, 3, 'three attempts, spaced on the room clock');
      assert.equal(viewerRoom.state.status, 'interrupted');
      const before = await balanceOf(v!);
      const http = await api('POST', `/api/pk-battles/${battle.battleId}/gift`, {
        token: v!.token,
        body: { giftId: 'rose', to: b.id, requestId: 'after-fail' },
      });
      assert.equal(http.status, 409);
      assert.equal(await balanceOf(v!), before, 'nothing charged after the end');
    } finally {
      results.finishBattle = original;
    }
    await waitFor(
      async () => (await store.getBattle(battle.battleId))?.status === 'interrupted',
      10_000,
      'recorded as interrupted when the room closed',
    );
    const liveAgain = statuses.findIndex(
      (x, i) => i > statuses.findIndex((y) => y.endsWith('/ending')) && x.startsWith('live/battle'),
    );
    assert.equal(liveAgain, -1, `never flipped back to live: ${statuses.join(' ')}`);
    const again = await api('POST', '/api/pk-battles', { token: a.token, body: { opponent: b.id, duration: 1 } });
    assert.equal(again.status, 201, 'hosts are free');
    await api('DELETE', `/api/pk-battles/${again.body.data.battleId}`, { token: a.token });
    // (The server closed the battle's room: nothing to leave.)
    assert.ok(roomA && roomB);
  });

  it('lists active battles with pagination', async () => {
    const { battle, a } = await liveBattle(5);
    const list = await api('GET', '/api/pk-battles/active/list?page=1&limit=100', { token: a.token });
    assert.equal(list.status, 200);
    assert.ok(list.body.data.battles.some((x: any) => x.id === battle.battleId && x.status === 'live'));
    assert.equal(list.body.data.page, 1);
    const bad = await api('GET', '/api/pk-battles/active/list?limit=1000', { token: a.token });
    assert.equal(bad.status, 400);
  });
});
