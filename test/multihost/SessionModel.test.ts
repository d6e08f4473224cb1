/** The multi-host session model, transition by transition: no server, no database, no clock. */
import assert from 'node:assert/strict';
import { MhEvents, MhMessages } from '../../src/domain/multihost/protocol';
import { INVITE_RATE } from '../../src/domain/multihost/rules';
import {
  type Command,
  decide,
  type Effect,
  layoutOf,
  NEVER_STARTED,
  openSession,
  PRIMARY_GONE,
  type Session,
  seatOf,
  stageRecords,
} from '../../src/domain/multihost/session';

const T0 = 1_000_000;
const LIMITS = { inviteTtlMs: 5000, reconnectGraceMs: 1000, startWithinMs: 60_000 };
const P = { id: 'p', username: 'primary' };
const user = (id: string) => ({ id, username: `u-${id}` });

function fresh(maxHosts = 9): Session {
  return openSession(
    { id: 's1', title: 'Panel', maxHosts, layout: 'grid', primary: P, limits: LIMITS, pending: [] },
    T0,
  ).state;
}

/** Runs a command that must be accepted. */
function ok(s: Session, c: Command, now = T0): { s: Session; fx: readonly Effect[] } {
  const d = decide(s, c, now);
  if (!d.ok) assert.fail(`${c.type} refused: ${d.error.code} ${d.error.message}`);
  return { s: d.value.state, fx: d.value.effects };
}

/** Runs a command that must be refused with `code`. */
function refused(s: Session, c: Command, code: string, now = T0): void {
  const d = decide(s, c, now);
  assert.equal(d.ok, false, `${c.type} should be refused with ${code}`);
  if (!d.ok) assert.equal(d.error.code, code, d.error.message);
}

const types = (fx: readonly Effect[]) => fx.map((e) => (e.type === 'broadcast' ? `broadcast ${e.event.name}` : e.type));
const noticeTo = (fx: readonly Effect[], userId: string) =>
  fx.flatMap((e) => (e.type === 'notify' && e.userId === userId ? [e.notice.name] : []));

/** A session with `ids` seated as co-hosts (by invitation). */
function withCoHosts(s: Session, ...ids: string[]): Session {
  for (const id of ids) {
    s = ok(s, { type: 'invite', actor: 'p', target: user(id) }).s;
    s = ok(s, { type: 'accept', user: user(id) }).s;
  }
  return s;
}

describe('Multi-host session model', () => {
  it('opens scheduled with the primary seated, a start deadline, and pending ones from the database', () => {
    const pending = [{ kind: 'invite' as const, userId: 'a', username: 'A', by: 'p', expiresAt: T0 - 1 }];
    const o = openSession(
      { id: 's1', title: 'Panel', maxHosts: 4, layout: 'pip', primary: P, limits: LIMITS, pending },
      T0,
    );
    assert.equal(o.state.status, 'scheduled');
    assert.deepEqual(
      o.state.seats.map((h) => [h.userId, h.role]),
      [['p', 'primary']],
    );
    assert.deepEqual(o.effects, [
      { type: 'schedule', key: NEVER_STARTED, at: T0 + 60_000, command: { type: 'close', reason: 'never-started' } },
      { type: 'schedule', key: 'invite:a', at: T0 - 1, command: { type: 'expire', kind: 'invite', userId: 'a' } },
    ]);
  });

  it('start: only the primary, only once; goes live and announces it', () => {
    const s = withCoHosts(fresh(), 'c');
    refused(s, { type: 'start', actor: 'c' }, 'FORBIDDEN');
    refused(s, { type: 'start', actor: 'stranger' }, 'FORBIDDEN');
    const { s: live, fx } = ok(s, { type: 'start', actor: 'p' });
    assert.equal(live.status, 'live');
    assert.deepEqual(types(fx), ['cancel', 'went-live', `broadcast ${MhEvents.started}`]);
    refused(live, { type: 'start', actor: 'p' }, 'INVALID_STATE');
  });

  it('invite: by role, persisted with an expiry timer, the invitee told; no seat is held', () => {
    const s = fresh(2);
    const { s: a, fx } = ok(s, { type: 'invite', actor: 'p', target: user('a') }, T0 + 10);
    assert.deepEqual(types(fx), ['invitation-opened', 'schedule', 'notify']);
    assert.deepEqual(fx[1], {
      type: 'schedule',
      key: 'invite:a',
      at: T0 + 10 + LIMITS.inviteTtlMs,
      command: { type: 'expire', kind: 'invite', userId: 'a' },
    });
    assert.deepEqual(noticeTo(fx, 'a'), [MhEvents.invited]);
    assert.equal(a.seats.length, 1, 'an invitation takes no seat');
    // A second invitation while one seat is free: allowed; the first to accept takes the seat.
    const b = ok(a, { type: 'invite', actor: 'p', target: user('b') }).s;
    const seated = ok(b, { type: 'accept', user: user('b') }).s;
    refused(seated, { type: 'accept', user: user('a') }, 'CAPACITY');
    refused(seated, { type: 'invite', actor: 'p', target: user('c') }, 'CAPACITY');
    refused(seated, { type: 'invite', actor: 'p', target: user('b') }, 'CONFLICT');
  });

  it('invite: guests and strangers may not; an ended session refuses', () => {
    let s = fresh();
    s = ok(s, { type: 'request', user: user('g') }).s;
    s = ok(s, { type: 'approve', actor: 'p', target: 'g' }).s;
    refused(s, { type: 'invite', actor: 'g', target: user('x') }, 'FORBIDDEN');
    refused(s, { type: 'invite', actor: 'nobody', target: user('x') }, 'FORBIDDEN');
    const ended = ok(s, { type: 'end', actor: 'p' }).s;
    refused(ended, { type: 'invite', actor: 'p', target: user('x') }, 'INVALID_STATE');
  });

  it('invite: rate-limited per inviter within the window', () => {
    let s = withCoHosts(fresh(), 'c'); // the primary's first invitation (at T0)
    for (let i = 1; i < INVITE_RATE.max; i++) {
      s = ok(s, { type: 'invite', actor: 'p', target: user(`x${i}`) }, T0 + i).s;
    }
    refused(s, { type: 'invite', actor: 'p', target: user('late') }, 'RATE_LIMITED', T0 + INVITE_RATE.max);
    // Another host has its own budget; once the window moved past the first two (T0, T0 + 1), two more.
    ok(s, { type: 'invite', actor: 'c', target: user('late') }, T0 + INVITE_RATE.max);
    const later = T0 + INVITE_RATE.windowMs + 1;
    s = ok(s, { type: 'invite', actor: 'p', target: user('late') }, later).s;
    s = ok(s, { type: 'invite', actor: 'p', target: user('late2') }, later).s;
    refused(s, { type: 'invite', actor: 'p', target: user('later') }, 'RATE_LIMITED', later);
  });

  it('accept: needs a pending invitation; seats a co-host and closes the invitation', () => {
    const s = ok(fresh(), { type: 'invite', actor: 'p', target: user('a') }).s;
    refused(s, { type: 'accept', user: user('b') }, 'FORBIDDEN');
    const { s: next, fx } = ok(s, { type: 'accept', user: user('a') });
    assert.equal(seatOf(next, 'a')?.role, 'co-host');
    assert.equal(next.pending.length, 0);
    assert.deepEqual(types(fx), ['cancel', `broadcast ${MhEvents.joined}`, 'invitation-closed']);
    refused(next, { type: 'accept', user: user('a') }, 'CONFLICT');
  });

  it('decline: the invitation closes and the inviter is told; nothing else changes', () => {
    const s = ok(fresh(), { type: 'invite', actor: 'p', target: user('a') }).s;
    refused(s, { type: 'decline', userId: 'b' }, 'FORBIDDEN');
    const { s: next, fx } = ok(s, { type: 'decline', userId: 'a' });
    assert.equal(next.pending.length, 0);
    assert.equal(next.seats.length, 1);
    assert.deepEqual(types(fx), ['cancel', 'invitation-closed', 'notify']);
    assert.deepEqual(noticeTo(fx, 'p'), [MhEvents.declined]);
    refused(next, { type: 'accept', user: user('a') }, 'FORBIDDEN');
  });

  it('request: once while pending; approvers (primary, co-hosts) told in inbox and room', () => {
    const s = withCoHosts(fresh(), 'c');
    const { s: next, fx } = ok(s, { type: 'request', user: user('r') });
    assert.deepEqual(noticeTo(fx, 'p'), [MhEvents.joinRequest]);
    assert.deepEqual(noticeTo(fx, 'c'), [MhEvents.joinRequest]);
    assert.ok(fx.every((e) => e.type !== 'notify' || e.inRoom));
    refused(next, { type: 'request', user: user('r') }, 'CONFLICT');
    refused(next, { type: 'request', user: user('c') }, 'CONFLICT');
  });

  it('approve / deny: by role; approve seats a guest, deny tells the requester', () => {
    let s = ok(withCoHosts(fresh(3), 'c'), { type: 'request', user: user('r') }).s;
    s = ok(s, { type: 'request', user: user('q') }).s;
    refused(s, { type: 'approve', actor: 'r', target: 'r' }, 'FORBIDDEN');
    refused(s, { type: 'approve', actor: 'c', target: 'nobody' }, 'NOT_FOUND');
    const { s: approved, fx } = ok(s, { type: 'approve', actor: 'c', target: 'r' });
    assert.equal(seatOf(approved, 'r')?.role, 'guest');
    assert.deepEqual(noticeTo(fx, 'r'), [MhEvents.approved]);
    refused(approved, { type: 'approve', actor: 'p', target: 'q' }, 'CAPACITY');
    refused(approved, { type: 'deny', actor: 'r', target: 'q' }, 'FORBIDDEN');
    const denied = ok(approved, { type: 'deny', actor: 'p', target: 'q' });
    assert.equal(denied.s.pending.length, 0);
    const closed = denied.fx.find((e) => e.type === 'invitation-closed');
    assert.deepEqual(closed && closed.type === 'invitation-closed' && [closed.status, closed.tell?.name], [
      'denied',
      MhEvents.denied,
    ]);
    refused(denied.s, { type: 'deny', actor: 'p', target: 'q' }, 'NOT_FOUND');
  });

  it('expire: closes a pending one and tells the user; a stale timer changes nothing', () => {
    const s = ok(fresh(), { type: 'invite', actor: 'p', target: user('a') }).s;
    const { s: next, fx } = ok(s, { type: 'expire', kind: 'invite', userId: 'a' });
    assert.equal(next.pending.length, 0);
    assert.deepEqual(fx, [
      {
        type: 'invitation-closed',
        kind: 'invite',
        userId: 'a',
        status: 'expired',
        tell: {
          name: MhEvents.invitationExpired,
          payload: { sessionId: 's1', roomId: 's1', kind: 'invite', reason: 'expired' },
        },
      },
    ]);
    assert.deepEqual(ok(next, { type: 'expire', kind: 'invite', userId: 'a' }).fx, []);
  });

  it('remove: primary removes anyone else, co-host only guests, a host may leave, the primary may not', () => {
    let s = withCoHosts(fresh(), 'c', 'd');
    s = ok(ok(s, { type: 'request', user: user('g') }).s, { type: 'approve', actor: 'p', target: 'g' }).s;
    refused(s, { type: 'remove', actor: 'c', target: 'd' }, 'FORBIDDEN');
    refused(s, { type: 'remove', actor: 'c', target: 'p' }, 'FORBIDDEN');
    refused(s, { type: 'remove', actor: 'g', target: 'c' }, 'FORBIDDEN');
    refused(s, { type: 'remove', actor: 'p', target: 'p' }, 'INVALID_STATE');
    refused(s, { type: 'remove', actor: 'p', target: 'nobody' }, 'NOT_FOUND');
    const kicked = ok(s, { type: 'remove', actor: 'c', target: 'g' });
    assert.equal(seatOf(kicked.s, 'g'), undefined);
    assert.deepEqual(kicked.fx, [
      { type: 'unseated', userId: 'g' },
      {
        type: 'broadcast',
        event: { name: MhEvents.left, payload: { sessionId: 's1', userId: 'g', reason: 'removed' } },
      },
    ]);
    const left = ok(kicked.s, { type: 'remove', actor: 'd', target: 'd' }).fx[1];
    assert.equal(left?.type === 'broadcast' && (left.event.payload as { reason: string }).reason, 'left');
    ok(kicked.s, { type: 'remove', actor: 'p', target: 'c' });
  });

  it('settings: own media always; others by role; roles only by the primary, never the primary’s', () => {
    let s = withCoHosts(fresh(), 'c');
    s = ok(ok(s, { type: 'request', user: user('g') }).s, { type: 'approve', actor: 'p', target: 'g' }).s;
    refused(s, { type: 'settings', actor: 'g', target: 'c', change: { audio: false } }, 'FORBIDDEN');
    refused(s, { type: 'settings', actor: 'c', target: 'p', change: { audio: false } }, 'FORBIDDEN');
    refused(s, { type: 'settings', actor: 'c', target: 'g', change: { role: 'co-host' } }, 'FORBIDDEN');
    refused(s, { type: 'settings', actor: 'p', target: 'p', change: { role: 'guest' } }, 'FORBIDDEN');
    refused(s, { type: 'settings', actor: 'x', target: 'g', change: { audio: false } }, 'FORBIDDEN');
    refused(s, { type: 'settings', actor: 'p', target: 'x', change: { audio: false } }, 'NOT_FOUND');
    const own = ok(s, { type: 'settings', actor: 'g', target: 'g', change: { video: false } });
    assert.deepEqual([seatOf(own.s, 'g')?.video, seatOf(own.s, 'g')?.audio], [false, true]);
    assert.deepEqual(own.fx[0], { type: 'track-forced', userId: 'g', kind: 'video', enabled: false });
    const muted = ok(s, { type: 'settings', actor: 'c', target: 'g', change: { audio: false } });
    assert.equal(seatOf(muted.s, 'g')?.audio, false);
    const promoted = ok(s, { type: 'settings', actor: 'p', target: 'g', change: { role: 'co-host' } });
    assert.equal(seatOf(promoted.s, 'g')?.role, 'co-host');
    assert.deepEqual(types(promoted.fx), [`broadcast ${MhEvents.settings}`]);
  });

  it('layout: by role; the focus must be on stage; announced on both channels with tiles', () => {
    const s = withCoHosts(fresh(), 'c');
    refused(s, { type: 'layout', actor: 'c', layout: 'spotlight', focusUserId: 'nobody' }, 'VALIDATION');
    refused(s, { type: 'layout', actor: 'x', layout: 'spotlight' }, 'FORBIDDEN');
    const { s: next, fx } = ok(s, { type: 'layout', actor: 'c', layout: 'spotlight', focusUserId: 'c' });
    assert.deepEqual(layoutOf(next).tiles.c, { x: 0, y: 0, w: 1, h: 0.75, z: 0 });
    assert.deepEqual(types(fx), [
      'layout-recorded',
      `broadcast ${MhEvents.layoutChanged}`,
      `broadcast ${MhMessages.layoutChanged}`,
    ]);
    // The focus host leaving the stage is no longer the focus.
    assert.equal(ok(next, { type: 'remove', actor: 'p', target: 'c' }).s.focusUserId, null);
  });

  it('topology: mesh up to four hosts, sfu from the fifth (announced with each join)', () => {
    let s = withCoHosts(fresh(), 'a', 'b', 'c');
    s = ok(s, { type: 'invite', actor: 'p', target: user('d') }).s;
    const joined = ok(s, { type: 'accept', user: user('d') }).fx.find((e) => e.type === 'broadcast');
    assert.equal(joined?.type === 'broadcast' && (joined.event.payload as { topology: string }).topology, 'sfu');
  });

  it('presence: the primary away starts the grace timer once; back cancels it; it firing ends the session', () => {
    const s = ok(fresh(), { type: 'start', actor: 'p' }).s;
    assert.deepEqual(ok(s, { type: 'presence', userId: 'x', online: false }).fx, []);
    const away = ok(s, { type: 'presence', userId: 'p', online: false }, T0 + 5);
    assert.deepEqual(away.fx, [
      { type: 'schedule', key: PRIMARY_GONE, at: T0 + 5 + 1000, command: { type: 'close', reason: 'primary-left' } },
    ]);
    assert.deepEqual(ok(away.s, { type: 'presence', userId: 'p', online: false }).fx, [], 'already counting');
    const back = ok(away.s, { type: 'presence', userId: 'p', online: true });
    assert.deepEqual(back.fx, [{ type: 'cancel', key: PRIMARY_GONE }]);
    assert.deepEqual(ok(back.s, { type: 'close', reason: 'primary-left' }).fx, [], 'a stale timer does nothing');
    const ended = ok(away.s, { type: 'close', reason: 'primary-left' });
    assert.equal(ended.s.status, 'ended');
    assert.equal(ended.s.endReason, 'primary-left');
    assert.deepEqual(types(ended.fx), ['finished', `broadcast ${MhEvents.ended}`, 'close-room']);
  });

  it('close never-started: only a session still scheduled', () => {
    assert.equal(ok(fresh(), { type: 'close', reason: 'never-started' }).s.endReason, 'never-started');
    const live = ok(fresh(), { type: 'start', actor: 'p' }).s;
    assert.deepEqual(ok(live, { type: 'close', reason: 'never-started' }).fx, []);
  });

  it('end: the primary only, once; every later change is refused', () => {
    const s = withCoHosts(fresh(), 'c');
    refused(s, { type: 'end', actor: 'c' }, 'FORBIDDEN');
    const { s: ended, fx } = ok(s, { type: 'end', actor: 'p' });
    assert.deepEqual(fx[0], { type: 'finished', reason: 'ended-by-host' });
    refused(ended, { type: 'end', actor: 'p' }, 'INVALID_STATE');
    for (const c of [
      { type: 'accept', user: user('a') },
      { type: 'request', user: user('a') },
      { type: 'layout', actor: 'p', layout: 'grid' },
      { type: 'settings', actor: 'p', target: 'p', change: { audio: false } },
      { type: 'decline', userId: 'a' },
    ] as Command[])
      refused(ended, c, 'INVALID_STATE');
    assert.deepEqual(ok(ended, { type: 'presence', userId: 'p', online: false }).fx, []);
  });

  it('records time on stage across stints, with the role held when leaving', () => {
    let s = withCoHosts(fresh(), 'c');
    s = ok(s, { type: 'settings', actor: 'p', target: 'c', change: { role: 'guest' } }).s;
    s = ok(s, { type: 'remove', actor: 'p', target: 'c' }, T0 + 10_000).s;
    s = ok(s, { type: 'invite', actor: 'p', target: user('c') }, T0 + 20_000).s;
    s = ok(s, { type: 'accept', user: user('c') }, T0 + 20_000).s;
    const rec = stageRecords(s, T0 + 25_000);
    assert.deepEqual(
      rec.find((r) => r.userId === 'c'),
      { userId: 'c', role: 'co-host', joinedAt: T0, leftAt: T0 + 25_000, secondsOnStage: 15 },
    );
    assert.deepEqual(
      rec.find((r) => r.userId === 'p'),
      { userId: 'p', role: 'primary', joinedAt: T0, leftAt: T0 + 25_000, secondsOnStage: 25 },
    );
    const off = ok(s, { type: 'remove', actor: 'p', target: 'c' }, T0 + 30_000).s;
    assert.deepEqual(
      stageRecords(off, T0 + 40_000).find((r) => r.userId === 'c'),
      { userId: 'c', role: 'co-host', joinedAt: T0, leftAt: T0 + 30_000, secondsOnStage: 20 },
    );
  });
});
