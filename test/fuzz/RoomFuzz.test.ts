/**
 * Message fuzzing: for every room type in a live state, attacker clients send a few hundred
 * seeded random messages (known and unknown types, hostile payloads, raw binary frames) and
 * reconnect whenever they are dropped. Meanwhile an observer stays connected and receives
 * patches, and a normal action (a gift, an order, a notification) still succeeds. At the end
 * the server is alive, nothing was logged above warn but the expected decode errors, and the
 * garbage moved no coin and no stock. Seed: FUZZ_SEED (printed); size: FUZZ_MESSAGES per room.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Room } from '@colyseus/sdk';
import { MhMessages } from '../../src/domain/multihost/protocol';
import { PkMessages } from '../../src/domain/pk/protocol';
import { ShopMessages } from '../../src/domain/shopping/protocol';
import { logger } from '../../src/logger';
import { InboxEvents } from '../../src/rooms/InboxRoom';
import { RtcMessages } from '../../src/rtc/protocol';
import {
  api,
  nextMessage,
  operatorHeaders,
  registerUser,
  registerUsers,
  sdk,
  server,
  sleep,
  type TestUser,
  waitFor,
} from '../helpers';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed) >>> 0;
const MESSAGES_PER_ROOM = Number(process.env.FUZZ_MESSAGES ?? 240);
const ATTACKERS = 3;
/** The documented close code for an unknown message type (docs/protocol.md). */
const UNKNOWN_MESSAGE_CLOSE = 4400;
/** Below the per-client flood limit (30/s), so the fuzz exercises handlers, not only the limiter. */
const SEND_INTERVAL_MS = 55;

/** mulberry32: small, seeded, reproducible. */
function rng(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;

const KNOWN_TYPES = [
  ...Object.values(PkMessages),
  ...Object.values(ShopMessages),
  ...Object.values(MhMessages),
  ...Object.values(RtcMessages),
  ...Object.values(InboxEvents),
  'inc',
];
const FIELD_NAMES = [
  'giftId',
  'to',
  'count',
  'requestId',
  'productId',
  'quantity',
  'voucherCode',
  'idempotencyKey',
  'targetPeerId',
  'sdp',
  'candidate',
  'offer',
  'answer',
  'layout',
  'ids',
  'stats',
  'kind',
  'enabled',
  'type',
  'userId',
  'roomId',
  'streamId',
];

function deepArray(depth: number): unknown {
  return depth === 0 ? 'leaf' : [deepArray(depth - 1)];
}

function oddValue(r: Rng): unknown {
  switch (r.int(16)) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return r.pick([0, -1, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 64, 0.5, Number.NaN]);
    case 3:
      return 'x'.repeat(60 * 1024);
    case 4:
      return deepArray(10);
    case 5:
      return Array.from({ length: 5000 }, (_, i) => i);
    case 6:
      return JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    case 7:
      return Buffer.from(Array.from({ length: r.int(64) }, () => r.int(256)));
    case 8:
      return r.pick(['', ' ', '\u0000', '💥'.repeat(40), '../../etc/passwd', "'; DROP TABLE users; --"]);
    case 9:
      return randomUUID();
    case 10:
      return r.next() < 0.5;
    case 11:
      return {};
    case 12:
      return [];
    case 13:
      return { $gt: '' };
    default:
      return r.int(1000) - 500;
  }
}

function payload(r: Rng): unknown {
  if (r.next() < 0.35) return oddValue(r);
  // An object whose field names are real ones, with wrong or hostile values.
  const out: Record<string, unknown> = {};
  const n = 1 + r.int(5);
  for (let i = 0; i < n; i++) out[r.pick(FIELD_NAMES)] = oddValue(r);
  if (r.next() < 0.2) Object.assign(out, JSON.parse('{"__proto__":{"polluted":true}}'));
  return out;
}

function messageType(r: Rng): string | number {
  switch (r.int(7)) {
    case 0:
    case 1:
    case 6:
      return r.pick(KNOWN_TYPES);
    case 2:
      return 'y'.repeat(100 + r.int(400)); // the crash: a type longer than a close reason may be
    case 3:
      return r.pick(['ü'.repeat(80), '测试消息'.repeat(20), '\u0000', '*', '__proto__', 'constructor', '']);
    case 4:
      return r.int(2) ? r.int(256) : r.int(2 ** 31);
    default:
      return `unknown:${r.int(1e6)}`;
  }
}

interface Target {
  roomId: string;
  /** Joins the room as `user` (the attacker or the observer). */
  join(user: TestUser): Promise<Room>;
  /** A normal user action that must still work; resolves when the observer saw its effect. */
  normalAction(observer: Room): Promise<void>;
  /** What the garbage must not have changed. */
  snapshot(): Promise<unknown>;
  /** What a normal action is expected to turn the snapshot into. */
  afterNormal(before: any): unknown;
  /** The room has synced state (the inbox has none). */
  stateless?: boolean;
}

/** One attacker connection: sends the seeded stream, rejoins whenever it is dropped. */
async function attack(target: Target, user: TestUser, r: Rng, count: number, tally: Record<string, number>) {
  let room: Room | undefined;
  let closed = true;
  const connect = async () => {
    room = await target.join(user);
    room.onMessage('*', () => undefined);
    closed = false;
    room.onLeave((code) => {
      closed = true;
      tally[`close:${code}`] = (tally[`close:${code}`] ?? 0) + 1;
    });
  };
  for (let i = 0; i < count; i++) {
    if (closed) {
      await connect();
      tally.rejoins = (tally.rejoins ?? 0) + 1;
    }
    const conn = (room as unknown as { connection: { isOpen: boolean; send(d: Uint8Array): void } }).connection;
    if (r.next() < 0.1) {
      // A raw frame: random bytes, often not msgpack at all, first byte any protocol code.
      conn.send(new Uint8Array(Array.from({ length: 1 + r.int(40) }, () => r.int(256))));
      tally.raw = (tally.raw ?? 0) + 1;
    } else {
      try {
        room!.send(messageType(r) as string, payload(r));
        tally.sent = (tally.sent ?? 0) + 1;
      } catch {
        tally.unencodable = (tally.unencodable ?? 0) + 1;
      }
    }
    await sleep(SEND_INTERVAL_MS);
  }
  if (!closed) await Promise.race([room!.leave().catch(() => undefined), sleep(1000)]);
}

/** Errors and fatals, from our logger and from Colyseus' (console), while `fn` runs. */
async function capturingLogs(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const original = { error: logger.error, fatal: logger.fatal, consoleError: console.error };
  const record =
    (level: string) =>
    (...args: unknown[]) =>
      seen.push(`${level}: ${args.map((a) => (a instanceof Error ? a.stack : JSON.stringify(a))).join(' ')}`);
  logger.error = record('error') as typeof logger.error;
  logger.fatal = record('fatal') as typeof logger.fatal;
  console.error = record('console.error');
  try {
    await fn();
  } finally {
    logger.error = original.error;
    logger.fatal = original.fatal;
    console.error = original.consoleError;
  }
  return seen;
}

/**
 * Colyseus logs a raw frame it cannot decode (not msgpack, or cut short) and drops that
 * client: expected. The log lines name the decoder's failure.
 */
const EXPECTED_DECODE_ERROR =
  /Max payload size exceeded|msgpack|Unexpected end of (MessagePack )?data|Data read, but end of buffer not reached|is not defined in schema|Unknown MessagePack token|Offset is outside the bounds|out of range|Invalid typed array length|decode/i;

async function fuzz(name: string, target: Target, observer: Room) {
  const r = rng(SEED ^ [...name].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7));
  let patches = 0;
  observer.onStateChange(() => patches++);
  const before = await target.snapshot();
  const tally: Record<string, number> = {};
  const attackers = await registerUsers(ATTACKERS, 'fuzz');
  const logs = await capturingLogs(async () => {
    await Promise.all(attackers.map((u) => attack(target, u, r, Math.ceil(MESSAGES_PER_ROOM / ATTACKERS), tally)));
  });
  const unexpected = logs.filter((l) => !EXPECTED_DECODE_ERROR.test(l));
  assert.deepEqual(unexpected, [], `logged above warn during the fuzz of ${name}`);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype polluted');

  // The garbage changed nothing that matters.
  assert.deepEqual(await target.snapshot(), before, `${name}: state or money changed by garbage`);
  assert.ok(observer.connection.isOpen, `${name}: the observer was disconnected`);
  // The server is alive, the observer still connected and receiving patches, and a normal action works.
  assert.equal((await fetch(`${server().url}/healthz`)).status, 200);
  const patchesBefore = patches;
  await target.normalAction(observer);
  if (!target.stateless)
    await waitFor(() => patches > patchesBefore, 5000, `${name}: observer patch after the normal action`);
  const expected = target.afterNormal(before);
  const matches = async () => isDeepStrictEqual(await target.snapshot(), expected);
  await waitFor(matches, 3000, `${name}: the normal action's effect`).catch(() => undefined);
  assert.deepEqual(await target.snapshot(), expected, `${name}: normal action applied once`);
  const closes = Object.entries(tally)
    .filter(([k]) => k.startsWith('close:'))
    .map(([k, v]) => `${k.slice(6)}×${v}`)
    .join(' ');
  console.log(
    `      fuzz ${name}: seed=${SEED} sent=${tally.sent ?? 0} raw=${tally.raw ?? 0} rejoins=${tally.rejoins ?? 0} closes=[${closes}] patches=${patches}`,
  );
  assert.ok((tally[`close:${UNKNOWN_MESSAGE_CLOSE}`] ?? 0) > 0, 'unknown types close with 4400');
}

const balance = (u: TestUser) => server().context.wallet.balance(u.id);

async function watch(user: TestUser, roomId: string, ready: (state: any) => unknown): Promise<Room> {
  const room = await sdk(user).joinById(roomId);
  room.onMessage('*', () => undefined);
  await waitFor(() => room.state && ready(room.state), 3000, 'state');
  return room;
}

describe('Room message fuzzing', function () {
  this.timeout(120_000);
  const open: Room[] = [];
  after(async () => {
    await Promise.all(open.map((r) => Promise.race([r.leave().catch(() => undefined), sleep(1000)])));
  });

  it(`closes a sender of an unknown message type with ${UNKNOWN_MESSAGE_CLOSE} and a fixed reason; the server lives`, async () => {
    const host = await registerUser('host');
    const start = await api('POST', '/api/webrtc/stream/start', { token: host.token, body: { title: 'Fuzz' } });
    assert.equal(start.status, 201, JSON.stringify(start.body));
    const viewer = await registerUser('viewer');
    const room = await watch(viewer, start.body.data.roomId, (s) => s.streamId);
    const error = nextMessage(room, 'error');
    const left = new Promise<[number, string | undefined]>((resolve) =>
      room.onLeave((code, reason) => resolve([code, reason])),
    );
    room.send('y'.repeat(130), {});
    assert.deepEqual(await error, { type: 'y'.repeat(64), code: 'UNKNOWN_MESSAGE', message: 'Unknown message type' });
    assert.deepEqual(await left, [UNKNOWN_MESSAGE_CLOSE, 'unknown message type']);
    assert.equal((await fetch(`${server().url}/healthz`)).status, 200);
    // Everyone else carries on: the host is still in a live room.
    const again = await watch(viewer, start.body.data.roomId, (s) => s.streamId);
    open.push(again);
  });

  it('live_stream', async () => {
    const [host, observer] = await registerUsers(2, 'ls');
    const start = await api('POST', '/api/webrtc/stream/start', { token: host!.token, body: { title: 'Fuzz' } });
    const { roomId, streamId } = start.body.data;
    const hostRoom = await watch(host!, roomId, (s) => s.streamId);
    const obs = await watch(observer!, roomId, (s) => s.streamId);
    open.push(hostRoom, obs);
    const filters = await api('GET', '/api/stream-filters?limit=100', { token: host!.token });
    const blur = filters.body.data.filters.find((f: { slug: string }) => f.slug === 'background-blur');
    await fuzz(
      'live_stream',
      {
        roomId,
        join: (u) => sdk(u).joinById(roomId),
        normalAction: async () => {
          const res = await api('POST', `/api/stream-filters/${blur.id}/apply`, {
            token: host!.token,
            body: { streamId, parameters: {} },
          });
          assert.equal(res.status, 200, JSON.stringify(res.body));
        },
        snapshot: async () => ({
          host: await balance(host!),
          hostConnected: hostRoom.connection.isOpen,
          filters: obs.state.filters.get(host!.id)?.byCategory.size ?? 0,
        }),
        afterNormal: (b) => ({ ...b, filters: b.filters + 1 }),
      },
      obs,
    );
  });

  it('pk_battle', async () => {
    const [a, b, observer, fan] = await registerUsers(4, 'pk');
    const created = await api('POST', '/api/pk-battles', { token: a!.token, body: { opponent: b!.id, duration: 10 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { battleId, roomId } = created.body.data;
    const roomA = await watch(a!, roomId, (s) => s.battleId);
    const roomB = await watch(b!, roomId, (s) => s.battleId);
    const started = nextMessage(roomA, 'pk-battle:started');
    assert.equal((await api('POST', `/api/pk-battles/${battleId}/accept`, { token: b!.token })).status, 200);
    await started;
    const obs = await watch(observer!, roomId, (s) => s.status === 'live');
    open.push(roomA, roomB, obs);
    const fanBalance = await balance(fan!);
    await fuzz(
      'pk_battle',
      {
        roomId,
        join: (u) => sdk(u).joinById(roomId),
        normalAction: async () => {
          const res = await api('POST', `/api/pk-battles/${battleId}/gift`, {
            token: fan!.token,
            body: { giftId: 'rose', to: a!.id, count: 1, requestId: randomUUID() },
          });
          assert.equal(res.status, 201, JSON.stringify(res.body));
        },
        snapshot: async () => ({
          scoreA: obs.state.hostA.score,
          scoreB: obs.state.hostB.score,
          status: obs.state.status,
          fan: await balance(fan!),
        }),
        afterNormal: (s) => ({ ...s, scoreA: s.scoreA + 1, fan: fanBalance - 1 }),
      },
      obs,
    );
  });

  it('multihost', async () => {
    const [owner, observer] = await registerUsers(2, 'mh');
    const created = await api('POST', '/api/multihost', {
      token: owner!.token,
      body: { title: 'Fuzz panel', type: 'panel', layout: 'grid' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { sessionId, roomId } = created.body.data;
    const ownerRoom = await watch(owner!, roomId, (s) => s.sessionId);
    assert.equal((await api('POST', `/api/multihost/${sessionId}/start`, { token: owner!.token })).status, 200);
    const obs = await watch(observer!, roomId, (s) => s.status === 'live');
    open.push(ownerRoom, obs);
    await fuzz(
      'multihost',
      {
        roomId,
        join: (u) => sdk(u).joinById(roomId),
        normalAction: async () => {
          const res = await api('PUT', `/api/multihost/${sessionId}/layout`, {
            token: owner!.token,
            body: { layout: 'spotlight' },
          });
          assert.equal(res.status, 200, JSON.stringify(res.body));
        },
        snapshot: async () => ({ layout: obs.state.layout, hosts: obs.state.hosts.size, status: obs.state.status }),
        afterNormal: (s) => ({ ...s, layout: 'spotlight' }),
      },
      obs,
    );
  });

  it('live_shopping', async () => {
    const [seller, observer, buyer] = await registerUsers(3, 'shop');
    const product = await api('POST', '/api/products', {
      token: seller!.token,
      body: { name: 'Fuzz mug', price: 1500, stock: 10 },
    });
    assert.equal(product.status, 201, JSON.stringify(product.body));
    const productId = product.body.data.product.id as string;
    const created = await api('POST', '/api/live-shopping', { token: seller!.token, body: { title: 'Fuzz drop' } });
    const { sessionId, roomId } = created.body.data;
    assert.equal((await api('POST', `/api/live-shopping/${sessionId}/start`, { token: seller!.token })).status, 200);
    const added = await api('POST', `/api/live-shopping/${sessionId}/products`, {
      token: seller!.token,
      body: { productId, livePrice: 1200, stock: 10 },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const obs = await watch(observer!, roomId, (s) => s.products?.get(productId));
    open.push(obs);
    await fuzz(
      'live_shopping',
      {
        roomId,
        join: (u) => sdk(u).joinById(roomId),
        normalAction: async () => {
          const res = await api('POST', `/api/live-shopping/${sessionId}/orders`, {
            token: buyer!.token,
            body: { productId, quantity: 1, idempotencyKey: randomUUID() },
          });
          assert.equal(res.status, 201, JSON.stringify(res.body));
        },
        snapshot: async () => ({ remaining: obs.state.products.get(productId)?.remaining, status: obs.state.status }),
        afterNormal: (s) => ({ ...s, remaining: s.remaining - 1 }),
      },
      obs,
    );
  });

  it('inbox', async () => {
    const observer = await registerUser('ib');
    const obs = await sdk(observer).joinOrCreate('inbox');
    obs.onMessage('*', () => undefined);
    open.push(obs);
    const roomId = obs.roomId;
    let notified = 0;
    obs.onMessage('fuzz:ping', () => notified++);
    await fuzz(
      'inbox',
      {
        roomId,
        join: (u) => sdk(u).joinById(roomId),
        normalAction: async () => {
          const res = await api('POST', '/api/admin/notify', {
            headers: operatorHeaders(),
            body: { userId: observer.id, event: 'fuzz:ping', payload: { n: 1 } },
          });
          assert.equal(res.status, 201, JSON.stringify(res.body));
          await waitFor(() => notified === 1, 3000, 'notification delivered');
        },
        stateless: true,
        snapshot: async () => ({ balance: await balance(observer), notified }),
        afterNormal: (s) => ({ ...s, notified: 1 }),
      },
      obs,
    );
  });
});
