/**
 * The multi-host session model: `decide(session, command, now)` answers the next session and the
 * effects the room performs (persist, broadcast, notify, unpublish, schedule), or a refusal. Pure: no
 * I/O, no clock of its own. The room (src/rooms/MultiHostRoom.ts) is its adapter.
 *
 * Lifecycle scheduled → live → ended. Seats (at most maxHosts, the primary host's included) are taken
 * only by accepting an invitation (as co-host) or by an approved join request (as guest): a pending
 * invitation or request holds no seat and does not hold the invitee (who may be invited elsewhere too).
 */
import { ErrorCode } from '../../errors';
import { type Decision, decided, type Outcome, refuse, unreachable } from '../result';
import {
  type EndReason,
  type InvitationKind,
  type LayoutPayload,
  type LeaveReason,
  MhEvents,
  MhMessages,
  type Notice,
  type RoomEvent,
  type SettingsPayload,
  type UserRef,
} from './protocol';
import {
  type Action,
  can,
  canChangeOthersMedia,
  canKick,
  computeLayout,
  INVITE_RATE,
  type Layout,
  type Role,
  type Tile,
  topologyFor,
} from './rules';

export type SessionStatus = 'scheduled' | 'live' | 'ended';

export interface Seat {
  readonly userId: string;
  readonly username: string;
  readonly role: Role;
  readonly audio: boolean;
  readonly video: boolean;
  readonly seatedAt: number;
}

/** A user's time on stage over the session (what is persisted per host). */
export interface Stint {
  readonly role: Role;
  readonly joinedAt: number;
  readonly leftAt: number | null;
  readonly seconds: number;
  readonly onStageSince: number | null;
}

/** A pending invitation (`by` the inviting host) or join request (`by` the requester). */
export interface Pending {
  readonly kind: InvitationKind;
  readonly userId: string;
  readonly username: string;
  readonly by: string;
  readonly expiresAt: number;
}

export interface Limits {
  /** An invitation or join request nobody answers expires after this. */
  readonly inviteTtlMs: number;
  /** The primary host may be away this long before the session ends. */
  readonly reconnectGraceMs: number;
  /** A session nobody starts within this is closed. */
  readonly startWithinMs: number;
}

export interface Session {
  readonly id: string;
  readonly title: string;
  readonly maxHosts: number;
  readonly limits: Limits;
  readonly status: SessionStatus;
  readonly endReason: EndReason | null;
  readonly layout: Layout;
  readonly focusUserId: string | null;
  /** Hosts on stage, in seat order (the order their tiles are laid out in). */
  readonly seats: readonly Seat[];
  readonly stints: Readonly<Record<string, Stint>>;
  readonly pending: readonly Pending[];
  /** Invitations sent within the rate window: who, when. */
  readonly sentInvites: ReadonlyArray<{ readonly by: string; readonly at: number }>;
  /** Since when the primary host has no client in the room (null: present, or not joined yet). */
  readonly primaryAwaySince: number | null;
}

export type SettingsChange = { audio?: boolean; video?: boolean; role?: Exclude<Role, 'primary'> };
export type CloseReason = Exclude<EndReason, 'ended-by-host'>;

export type Command =
  | { type: 'start'; actor: string }
  | { type: 'invite'; actor: string; target: UserRef }
  | { type: 'accept'; user: UserRef }
  | { type: 'decline'; userId: string }
  | { type: 'request'; user: UserRef }
  | { type: 'approve'; actor: string; target: string }
  | { type: 'deny'; actor: string; target: string }
  /** A host removes another, or leaves the stage (actor = target). */
  | { type: 'remove'; actor: string; target: string }
  | { type: 'settings'; actor: string; target: string; change: SettingsChange }
  | { type: 'layout'; actor: string; layout: Layout; focusUserId?: string }
  /** Timer: an invitation or request nobody answered. */
  | { type: 'expire'; kind: InvitationKind; userId: string }
  /** A user's first client joined (online) or last client left (offline). */
  | { type: 'presence'; userId: string; online: boolean }
  | { type: 'end'; actor: string }
  /** Timer: the primary host stayed away, or nobody started the session. */
  | { type: 'close'; reason: CloseReason };

export type ClosedStatus = 'accepted' | 'declined' | 'denied' | 'expired';

export type Effect =
  | { type: 'broadcast'; event: RoomEvent }
  | { type: 'notify'; userId: string; notice: Notice; inRoom?: boolean }
  /** Persist a new (or renewed) pending invitation or request. */
  | { type: 'invitation-opened'; invitation: Pending }
  /** Persist its end; `tell` the user only if it was still pending in the database. */
  | { type: 'invitation-closed'; kind: InvitationKind; userId: string; status: ClosedStatus; tell?: Notice }
  | { type: 'went-live' }
  | { type: 'layout-recorded'; layout: Layout }
  /** Off stage: their signaling ends and their SFU feed is unpublished. */
  | { type: 'unseated'; userId: string }
  | { type: 'track-forced'; userId: string; kind: 'audio' | 'video'; enabled: boolean }
  /** Run `command` at `at` (replaces a timer with the same key). */
  | { type: 'schedule'; key: string; at: number; command: Command }
  | { type: 'cancel'; key: string }
  /** Persist the ended session (hosts' time on stage); every timer stops. */
  | { type: 'finished'; reason: EndReason }
  /** Disconnect everyone shortly (after the ended event went out). */
  | { type: 'close-room' };

const timerKey = (kind: InvitationKind, userId: string) => `${kind}:${userId}`;
export const PRIMARY_GONE = 'primary-gone';
export const NEVER_STARTED = 'never-started';

// --- creation and views ------------------------------------------------------------------------

export interface SessionInit {
  id: string;
  title: string;
  maxHosts: number;
  layout: Layout;
  primary: UserRef;
  limits: Limits;
  /** Pending invitations and requests found in the database (a room that came back). */
  pending: readonly Pending[];
}

/** A scheduled session with its primary host seated; expired pending ones expire at once. */
export function openSession(init: SessionInit, now: number): Outcome<Session, Effect> {
  const base: Session = {
    id: init.id,
    title: init.title,
    maxHosts: init.maxHosts,
    limits: init.limits,
    status: 'scheduled',
    endReason: null,
    layout: init.layout,
    focusUserId: null,
    seats: [],
    stints: {},
    pending: init.pending,
    sentInvites: [],
    primaryAwaySince: null,
  };
  const effects: Effect[] = [
    { type: 'schedule', key: NEVER_STARTED, at: now + init.limits.startWithinMs, command: closeCmd('never-started') },
    ...init.pending.map((p) => expiryTimer(p)),
  ];
  return { state: seat(base, init.primary, 'primary', now), effects };
}

const closeCmd = (reason: CloseReason): Command => ({ type: 'close', reason });
const expiryTimer = (p: Pending): Effect => ({
  type: 'schedule',
  key: timerKey(p.kind, p.userId),
  at: p.expiresAt,
  command: { type: 'expire', kind: p.kind, userId: p.userId },
});

export const seatOf = (s: Session, userId: string): Seat | undefined => s.seats.find((h) => h.userId === userId);
export const roleOf = (s: Session, userId: string): Role | undefined => seatOf(s, userId)?.role;
export const pendingOf = (s: Session, kind: InvitationKind, userId: string): Pending | undefined =>
  s.pending.find((p) => p.kind === kind && p.userId === userId);

export function tilesOf(s: Session): Record<string, Tile> {
  return computeLayout(
    s.layout,
    s.seats.map((h) => h.userId),
    s.focusUserId ?? undefined,
  );
}

export function layoutOf(s: Session): LayoutPayload {
  return { sessionId: s.id, layout: s.layout, focusUserId: s.focusUserId, tiles: tilesOf(s) };
}

export function settingsOf(s: Session, userId: string, by: string): SettingsPayload {
  const h = seatOf(s, userId)!;
  return { sessionId: s.id, userId, audio: h.audio, video: h.video, role: h.role, by };
}

/** Every host's record for persisting: time on stage up to `now` for those still on it. */
export function stageRecords(s: Session, now: number) {
  return Object.entries(s.stints).map(([userId, st]) => ({
    userId,
    role: roleOf(s, userId) ?? st.role,
    joinedAt: st.joinedAt,
    leftAt: st.leftAt ?? now,
    secondsOnStage: st.seconds + (st.onStageSince !== null ? Math.round((now - st.onStageSince) / 1000) : 0),
  }));
}

// --- decide --------------------------------------------------------------------------------------

type D = Decision<Session, Effect>;

export function decide(s: Session, c: Command, now: number): D {
  switch (c.type) {
    case 'start':
      return guard(allowed(s, c.actor, 'start')) ?? start(s);
    case 'invite':
      return guard(open(s), allowed(s, c.actor, 'invite')) ?? invite(s, c.actor, c.target, now);
    case 'accept':
      return guard(open(s)) ?? accept(s, c.user, now);
    case 'decline':
      return guard(open(s)) ?? decline(s, c.userId);
    case 'request':
      return guard(open(s)) ?? request(s, c.user, now);
    case 'approve':
      return guard(open(s), allowed(s, c.actor, 'approve')) ?? approve(s, c.target, now);
    case 'deny':
      return guard(open(s), allowed(s, c.actor, 'approve')) ?? deny(s, c.target);
    case 'remove':
      return remove(s, c.actor, c.target, now);
    case 'settings':
      return guard(open(s)) ?? settings(s, c.actor, c.target, c.change);
    case 'layout':
      return guard(open(s), allowed(s, c.actor, 'layout')) ?? layout(s, c.layout, c.focusUserId);
    case 'expire':
      return expire(s, c.kind, c.userId);
    case 'presence':
      return presence(s, c.userId, c.online, now);
    case 'end':
      return (
        guard(allowed(s, c.actor, 'end'), s.status === 'ended' ? no('INVALID_STATE', 'Session already ended') : null) ??
        finish(s, 'ended-by-host')
      );
    case 'close':
      return close(s, c.reason);
    default:
      return unreachable(c);
  }
}

type Refused = ReturnType<typeof refuse>;
const no = (code: keyof typeof ErrorCode, message: string): Refused => refuse(ErrorCode[code], message);
/** The first refusal among the checks, in order (null: all passed). */
const guard = (...checks: Array<Refused | null>): Refused | null => checks.find((c) => c !== null) ?? null;
const open = (s: Session) => (s.status === 'ended' ? no('INVALID_STATE', 'Session has ended') : null);
const allowed = (s: Session, actor: string, action: Action) =>
  can(roleOf(s, actor), action)
    ? null
    : no('FORBIDDEN', `Your role cannot ${action.replace('-', ' ')} in this session`);
const seatFree = (s: Session) =>
  s.seats.length >= s.maxHosts ? no('CAPACITY', `Session is full (${s.maxHosts} hosts)`) : null;
const notHost = (s: Session, userId: string, message: string) => (seatOf(s, userId) ? no('CONFLICT', message) : null);

function start(s: Session): D {
  if (s.status !== 'scheduled') return no('INVALID_STATE', `Session is ${s.status}`);
  return decided({ ...s, status: 'live' }, [
    { type: 'cancel', key: NEVER_STARTED },
    { type: 'went-live' },
    { type: 'broadcast', event: { name: MhEvents.started, payload: { sessionId: s.id } } },
  ]);
}

function invite(s: Session, actor: string, target: UserRef, now: number): D {
  const sent = s.sentInvites.filter((i) => i.at > now - INVITE_RATE.windowMs);
  const refused =
    notHost(s, target.id, 'User is already a host') ??
    seatFree(s) ??
    (sent.filter((i) => i.by === actor).length >= INVITE_RATE.max
      ? no('RATE_LIMITED', `At most ${INVITE_RATE.max} invitations per minute`)
      : null);
  if (refused) return refused;
  const p: Pending = {
    kind: 'invite',
    userId: target.id,
    username: target.username,
    by: actor,
    expiresAt: now + s.limits.inviteTtlMs,
  };
  const next = { ...withPending(s, p), sentInvites: [...sent, { by: actor, at: now }] };
  const from = seatOf(s, actor)!;
  return decided(next, [
    { type: 'invitation-opened', invitation: p },
    expiryTimer(p),
    {
      type: 'notify',
      userId: target.id,
      notice: {
        name: MhEvents.invited,
        payload: {
          sessionId: s.id,
          roomId: s.id,
          title: s.title,
          from: { id: actor, username: from.username },
          expiresAt: p.expiresAt,
        },
      },
    },
  ]);
}

function accept(s: Session, user: UserRef, now: number): D {
  const refused =
    notHost(s, user.id, 'Already a host') ??
    (pendingOf(s, 'invite', user.id) ? null : no('FORBIDDEN', 'No invitation to accept (or it expired)')) ??
    seatFree(s);
  if (refused) return refused;
  const next = seat(withoutPending(s, 'invite', user.id), user, 'co-host', now);
  return decided(next, [
    { type: 'cancel', key: timerKey('invite', user.id) },
    joined(next, user.id),
    { type: 'invitation-closed', kind: 'invite', userId: user.id, status: 'accepted' },
  ]);
}

function decline(s: Session, userId: string): D {
  const p = pendingOf(s, 'invite', userId);
  if (!p) return no('FORBIDDEN', 'No invitation to decline (or it expired)');
  const user = { id: userId, username: p.username };
  return decided(withoutPending(s, 'invite', userId), [
    { type: 'cancel', key: timerKey('invite', userId) },
    { type: 'invitation-closed', kind: 'invite', userId, status: 'declined' },
    {
      type: 'notify',
      userId: p.by,
      notice: { name: MhEvents.declined, payload: { sessionId: s.id, roomId: s.id, user } },
      inRoom: true,
    },
  ]);
}

function request(s: Session, user: UserRef, now: number): D {
  const refused =
    notHost(s, user.id, 'Already a host') ??
    (pendingOf(s, 'request', user.id) ? no('CONFLICT', 'Request already pending') : null);
  if (refused) return refused;
  const p: Pending = {
    kind: 'request',
    userId: user.id,
    username: user.username,
    by: user.id,
    expiresAt: now + s.limits.inviteTtlMs,
  };
  const payload = {
    sessionId: s.id,
    roomId: s.id,
    user: { id: user.id, username: user.username },
    expiresAt: p.expiresAt,
  };
  return decided(withPending(s, p), [
    { type: 'invitation-opened', invitation: p },
    expiryTimer(p),
    ...s.seats
      .filter((h) => can(h.role, 'approve'))
      .map(
        (h): Effect => ({
          type: 'notify',
          userId: h.userId,
          notice: { name: MhEvents.joinRequest, payload },
          inRoom: true,
        }),
      ),
  ]);
}

function approve(s: Session, target: string, now: number): D {
  const p = pendingOf(s, 'request', target);
  if (!p) return no('NOT_FOUND', 'Join request (or it expired) not found');
  const refused = seatFree(s);
  if (refused) return refused;
  const next = seat(withoutPending(s, 'request', target), { id: target, username: p.username }, 'guest', now);
  return decided(next, [
    { type: 'cancel', key: timerKey('request', target) },
    joined(next, target),
    { type: 'invitation-closed', kind: 'request', userId: target, status: 'accepted' },
    {
      type: 'notify',
      userId: target,
      notice: { name: MhEvents.approved, payload: { sessionId: s.id, roomId: s.id } },
    },
  ]);
}

function deny(s: Session, target: string): D {
  if (!pendingOf(s, 'request', target)) return no('NOT_FOUND', 'Join request (or it expired) not found');
  return decided(withoutPending(s, 'request', target), [
    { type: 'cancel', key: timerKey('request', target) },
    {
      type: 'invitation-closed',
      kind: 'request',
      userId: target,
      status: 'denied',
      tell: { name: MhEvents.denied, payload: { sessionId: s.id, roomId: s.id } },
    },
  ]);
}

function remove(s: Session, actor: string, target: string, now: number): D {
  const t = seatOf(s, target);
  if (!t) return no('NOT_FOUND', 'Host not found');
  if (actor !== target && !canKick(roleOf(s, actor), t.role))
    return no('FORBIDDEN', 'Your role cannot remove this host');
  if (actor === target && t.role === 'primary') {
    return no('INVALID_STATE', 'The primary host ends the session instead of leaving the stage');
  }
  const reason: LeaveReason = actor === target ? 'left' : 'removed';
  return decided(unseat(s, target, now), [
    { type: 'unseated', userId: target },
    { type: 'broadcast', event: { name: MhEvents.left, payload: { sessionId: s.id, userId: target, reason } } },
  ]);
}

function settings(s: Session, actor: string, targetId: string, change: SettingsChange): D {
  const target = seatOf(s, targetId);
  if (!target) return no('NOT_FOUND', 'Host not found');
  const actorRole = roleOf(s, actor);
  if (!actorRole) return no('FORBIDDEN', 'Only hosts change settings');
  if (change.role !== undefined) {
    if (!can(actorRole, 'set-role')) return no('FORBIDDEN', 'Only the primary host assigns roles');
    if (target.role === 'primary') return no('FORBIDDEN', 'The primary host keeps its role');
  }
  const media = (['audio', 'video'] as const).filter((k) => change[k] !== undefined);
  if (media.length && targetId !== actor && !canChangeOthersMedia(actorRole, target.role)) {
    return no('FORBIDDEN', "Your role cannot change this host's audio or video");
  }
  const updated: Seat = {
    ...target,
    audio: change.audio ?? target.audio,
    video: change.video ?? target.video,
    role: change.role ?? target.role,
  };
  const next = { ...s, seats: s.seats.map((h) => (h.userId === targetId ? updated : h)) };
  return decided(next, [
    ...media.map((kind): Effect => ({ type: 'track-forced', userId: targetId, kind, enabled: updated[kind] })),
    { type: 'broadcast', event: { name: MhEvents.settings, payload: settingsOf(next, targetId, actor) } },
  ]);
}

function layout(s: Session, name: Layout, focusUserId: string | undefined): D {
  if (focusUserId && !seatOf(s, focusUserId)) return no('VALIDATION', 'focusUserId: not a host');
  const next = { ...s, layout: name, focusUserId: focusUserId ?? null };
  const payload = layoutOf(next);
  return decided(next, [
    { type: 'layout-recorded', layout: name },
    { type: 'broadcast', event: { name: MhEvents.layoutChanged, payload } },
    { type: 'broadcast', event: { name: MhMessages.layoutChanged, payload } },
  ]);
}

function expire(s: Session, kind: InvitationKind, userId: string): D {
  if (!pendingOf(s, kind, userId)) return decided(s);
  return decided(withoutPending(s, kind, userId), [
    {
      type: 'invitation-closed',
      kind,
      userId,
      status: 'expired',
      tell: { name: MhEvents.invitationExpired, payload: { sessionId: s.id, roomId: s.id, kind, reason: 'expired' } },
    },
  ]);
}

function presence(s: Session, userId: string, online: boolean, now: number): D {
  if (roleOf(s, userId) !== 'primary') return decided(s);
  if (online) {
    if (s.primaryAwaySince === null) return decided(s);
    return decided({ ...s, primaryAwaySince: null }, [{ type: 'cancel', key: PRIMARY_GONE }]);
  }
  if (s.status === 'ended' || s.primaryAwaySince !== null) return decided(s);
  return decided({ ...s, primaryAwaySince: now }, [
    { type: 'schedule', key: PRIMARY_GONE, at: now + s.limits.reconnectGraceMs, command: closeCmd('primary-left') },
  ]);
}

function close(s: Session, reason: CloseReason): D {
  switch (reason) {
    case 'never-started':
      return s.status === 'scheduled' ? finish(s, reason) : decided(s);
    case 'primary-left':
      return s.status !== 'ended' && s.primaryAwaySince !== null ? finish(s, reason) : decided(s);
    default:
      return unreachable(reason);
  }
}

function finish(s: Session, reason: EndReason): D {
  return decided({ ...s, status: 'ended', endReason: reason }, [
    { type: 'finished', reason },
    { type: 'broadcast', event: { name: MhEvents.ended, payload: { sessionId: s.id, reason } } },
    { type: 'close-room' },
  ]);
}

// --- seats ---------------------------------------------------------------------------------------

function seat(s: Session, user: UserRef, role: Role, now: number): Session {
  const prior = s.stints[user.id];
  const h: Seat = { userId: user.id, username: user.username, role, audio: true, video: true, seatedAt: now };
  return withFocus({
    ...s,
    seats: [...s.seats, h],
    stints: {
      ...s.stints,
      [user.id]: {
        role,
        joinedAt: prior?.joinedAt ?? now,
        leftAt: null,
        seconds: prior?.seconds ?? 0,
        onStageSince: now,
      },
    },
  });
}

function unseat(s: Session, userId: string, now: number): Session {
  const h = seatOf(s, userId)!;
  const st = s.stints[userId]!;
  const stint: Stint =
    st.onStageSince === null
      ? st
      : {
          role: h.role,
          joinedAt: st.joinedAt,
          leftAt: now,
          seconds: st.seconds + Math.round((now - st.onStageSince) / 1000),
          onStageSince: null,
        };
  return withFocus({
    ...s,
    seats: s.seats.filter((x) => x.userId !== userId),
    stints: { ...s.stints, [userId]: stint },
  });
}

/** A focus host who left the stage is no longer the focus. */
function withFocus(s: Session): Session {
  return s.focusUserId && !seatOf(s, s.focusUserId) ? { ...s, focusUserId: null } : s;
}

function joined(s: Session, userId: string): Effect {
  const h = seatOf(s, userId)!;
  return {
    type: 'broadcast',
    event: {
      name: MhEvents.joined,
      payload: { sessionId: s.id, userId, username: h.username, role: h.role, topology: topologyFor(s.seats.length) },
    },
  };
}

function withPending(s: Session, p: Pending): Session {
  return { ...s, pending: [...s.pending.filter((x) => !(x.kind === p.kind && x.userId === p.userId)), p] };
}

function withoutPending(s: Session, kind: InvitationKind, userId: string): Session {
  return { ...s, pending: s.pending.filter((x) => !(x.kind === kind && x.userId === userId)) };
}
