import assert from 'node:assert/strict';
import { startServerProcess } from '../../loadtest/lib/serverProcess';
import { FLOOD_REASON, RoomCloseCode, takeToken } from '../../src/rooms/roomKit';
import { api, collect, joinInbox, nextMessage, registerUser, sdk, server, sleep, testEnv, waitFor } from '../helpers';

describe('Limits', function () {
  this.timeout(60_000);

  it('a burst of 40 health checks (trickle ICE size) is answered in full', async () => {
    const [host, viewer] = await Promise.all([registerUser('hc_h'), registerUser('hc_v')]);
    const started = await api('POST', '/api/webrtc/stream/start', { token: host.token, body: { title: 'burst' } });
    const room = await sdk(viewer).joinById(started.body.data.roomId);
    try {
      const existing = nextMessage(room, 'webrtc:existing-peers');
      room.send('webrtc:join-room', { audio: false, video: false });
      await existing;
      const answers = collect(room, 'webrtc:health-status');
      let closedWith: number | undefined;
      room.onLeave((code) => (closedWith = code));
      for (let i = 0; i < 40; i++) room.send('webrtc:health-check', {});
      await waitFor(() => answers.length === 40 || closedWith !== undefined, 5000, '40 answers');
      assert.equal(closedWith, undefined);
      assert.equal(answers.length, 40);
    } finally {
      await room.leave().catch(() => undefined);
    }
  });

  it('a client flooding room messages is closed at once with 4429 and a fixed reason; the others carry on', async () => {
    const [flooder, calm] = await Promise.all([registerUser('flood'), registerUser('calm')]);
    const { room: bad } = await joinInbox(flooder);
    const { room: good } = await joinInbox(calm);
    const refused = nextMessage(bad, 'error');
    const closed = new Promise<{ code: number; reason?: string }>((resolve) =>
      bad.onLeave((code, reason) => resolve({ code, reason })),
    );
    const { ROOM_MESSAGE_BURST } = server().context.config;
    for (let i = 0; i < ROOM_MESSAGE_BURST * 3; i++) bad.send('inbox:read', { ids: [] });
    // Well inside the 30 s reconnection grace the old limit waited for before closing.
    const { code, reason } = await Promise.race([
      closed,
      sleep(5000).then(() => ({ code: -1, reason: 'not closed within 5 s' })),
    ]);
    assert.deepEqual({ code, reason }, { code: RoomCloseCode.FLOOD, reason: FLOOD_REASON });
    assert.equal(code, 4429);
    assert.equal((await refused).code, 'RATE_LIMITED');
    const backlog = nextMessage(good, 'inbox:backlog');
    good.send('inbox:sync', {});
    assert.ok(Array.isArray((await backlog).notifications));
    await good.leave();
  });

  it('the flooder leaves the room state at once (no reconnection grace)', async () => {
    const [host, flooder] = await Promise.all([registerUser('fl_h'), registerUser('fl_v')]);
    const started = await api('POST', '/api/webrtc/stream/start', { token: host.token, body: { title: 'flood' } });
    const hostRoom = await sdk(host).joinById(started.body.data.roomId);
    const bad = await sdk(flooder).joinById(started.body.data.roomId);
    try {
      const existing = nextMessage(bad, 'webrtc:existing-peers');
      bad.send('webrtc:join-room', { audio: false, video: false });
      await existing;
      await waitFor(() => hostRoom.state.viewerCount === 1, 5000, 'viewer in');
      const closed = new Promise<number>((resolve) => bad.onLeave((code) => resolve(code)));
      bad.onMessage('*', () => undefined);
      for (let i = 0; i < server().context.config.ROOM_MESSAGE_BURST * 3; i++) bad.send('webrtc:health-check', {});
      assert.equal(await closed, 4429);
      await waitFor(
        () => hostRoom.state.viewerCount === 0,
        2000,
        'flooder gone from viewerCount (a grace would keep it STREAM_RECONNECT_GRACE_MS)',
      );
    } finally {
      await hostRoom.leave().catch(() => undefined);
    }
  });

  it('takeToken: the bucket holds `burst`, refills at `rate` per second', () => {
    const b = { tokens: 3, at: 0 };
    const budget = { rate: 10, burst: 3 };
    assert.deepEqual(
      [0, 0, 0, 0].map(() => takeToken(b, 0, budget)),
      [true, true, true, false],
    );
    assert.equal(takeToken(b, 50, budget), false);
    assert.equal(takeToken(b, 100, budget), true);
    assert.equal(takeToken(b, 10_000, budget), true);
    assert.ok(b.tokens <= 2);
  });

  it('register/login past RATE_LIMIT_AUTH_MAX answers 429 in the standard shape', async () => {
    const env = testEnv();
    const proc = await startServerProcess({
      JWT_SECRET: env.JWT_SECRET!,
      DATABASE_URL: (server().context.ds.options as { url?: string }).url!,
      DATABASE_SCHEMA: server().context.config.DATABASE_SCHEMA,
      RATE_LIMIT_AUTH_MAX: '3',
    });
    try {
      const statuses: number[] = [];
      let last: any;
      for (let i = 0; i < 5; i++) {
        last = await api('POST', '/api/auth/login', {
          baseUrl: proc.url,
          body: { username: 'nobody_here', password: 'whatever-pw' },
        });
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
      assert.deepEqual(last.body, { success: false, message: 'Too many requests, slow down', code: 'RATE_LIMITED' });
      assert.ok(last.headers.get('ratelimit-policy') || last.headers.get('ratelimit'));
    } finally {
      await proc.stop();
    }
  });
});
