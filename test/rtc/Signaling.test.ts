import assert from 'node:assert/strict';
import type { Room } from '@colyseus/sdk';
import { api, collect, config, nextMessage, registerUsers, sdk, sleep, type TestUser, waitFor } from '../helpers';
import { attachPeer, connect } from '../rtcPeers';

async function startStream(host: TestUser) {
  const res = await api('POST', '/api/webrtc/stream/start', { token: host.token, body: { title: 'Cooking' } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data as { streamId: string; roomId: string; iceServers: unknown[] };
}

async function joinSignaling(user: TestUser, roomId: string) {
  const room = await sdk(user).joinById(roomId);
  const existing = nextMessage(room, 'webrtc:existing-peers');
  room.send('webrtc:join-room', { audio: true, video: true });
  return { room, existing: await existing };
}

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

describe('WebRTC signaling (live_stream room)', function () {
  this.timeout(30_000);
  const rooms: Room[] = [];
  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => undefined)));
  });

  it('connects two real peers through the room: offer, answer and ICE relayed, data flows', async () => {
    const [host, viewer] = await registerUsers(2, 'rtc');
    const stream = await startStream(host!);
    const join = await api('GET', `/api/webrtc/stream/${stream.streamId}/join`, { token: viewer!.token });
    assert.equal(join.status, 200);
    assert.deepEqual(join.body.data.host, { id: host!.id, username: host!.username });
    const h = await joinSignaling(host!, stream.roomId);
    rooms.push(h.room);
    const joined = nextMessage(h.room, 'webrtc:peer-joined');
    const v = await joinSignaling(viewer!, join.body.data.roomId);
    rooms.push(v.room);
    assert.deepEqual(
      v.existing.peers.map((p: any) => p.userId),
      [host!.id],
    );
    assert.equal(v.existing.topology, 'mesh');
    assert.ok(Array.isArray(v.existing.iceServers));
    assert.equal((await joined).userId, viewer!.id);

    const hostPeer = attachPeer(host!.id, h.room);
    const viewerPeer = attachPeer(viewer!.id, v.room);
    try {
      const channel = await connect(hostPeer, viewer!.id);
      channel.send('hello viewer');
      await waitFor(() => viewerPeer.received.get(host!.id)?.includes('hello viewer'), 10_000, 'data on the viewer');
      viewerPeer.channels.get(host!.id)!.send('hi host');
      await waitFor(() => hostPeer.received.get(viewer!.id)?.includes('hi host'), 10_000, 'data on the host');
      // The synced peer map holds the host only: viewers' peers stay out of every viewer's state (issue 9).
      await waitFor(() => v.room.state.peers.get(host!.id), 3000, 'host peer in state');
      assert.deepEqual([...v.room.state.peers.keys()], [host!.id]);
    } finally {
      await Promise.all([hostPeer.close(), viewerPeer.close()]);
    }
  });

  it('webrtc:ice-servers answers the STUN/TURN servers a publisher needs before it creates its connection', async () => {
    const [host] = await registerUsers(1, 'ice');
    const stream = await startStream(host!);
    const room = await sdk(host!).joinById(stream.roomId);
    rooms.push(room);
    const answer = nextMessage(room, 'webrtc:ice-servers');
    room.send('webrtc:ice-servers', {});
    const { iceServers } = await answer;
    assert.ok(Array.isArray(iceServers), 'a list (empty when the test server configures no STUN/TURN)');
    const urls = (list: Array<{ urls: unknown }>) => list.map((s) => JSON.stringify(s.urls));
    assert.deepEqual(
      urls(iceServers),
      urls(stream.iceServers as Array<{ urls: unknown }>),
      'the same servers as the REST setup',
    );
    const refused = nextMessage(room, 'webrtc:error');
    room.send('webrtc:ice-servers', { extra: 1 });
    const err = await refused;
    assert.equal(err.type, 'webrtc:ice-servers');
    assert.equal(err.code, 'VALIDATION');
  });

  it('stamps `from` itself, refuses spoofing, strangers, oversize SDP and targets outside the room', async () => {
    const [host, viewer, outsider] = await registerUsers(3, 'sp');
    const stream = await startStream(host!);
    const other = await startStream(outsider!);
    const h = await joinSignaling(host!, stream.roomId);
    const v = await joinSignaling(viewer!, stream.roomId);
    const o = await joinSignaling(outsider!, other.roomId);
    rooms.push(h.room, v.room, o.room);
    const seenByOutsider = collect(o.room, 'webrtc:offer');

    const got = nextMessage(v.room, 'webrtc:offer');
    h.room.send('webrtc:offer', { to: viewer!.id, sdp: SDP });
    const offer = await got;
    assert.deepEqual(
      { from: offer.from, fromUsername: offer.fromUsername, sdp: offer.sdp },
      { from: host!.id, fromUsername: host!.username, sdp: SDP },
    );

    const spoof = nextMessage(v.room, 'webrtc:error');
    v.room.send('webrtc:offer', { to: host!.id, sdp: SDP, from: outsider!.id });
    assert.equal((await spoof).code, 'VALIDATION');

    const cross = nextMessage(o.room, 'webrtc:error');
    o.room.send('webrtc:offer', { to: host!.id, sdp: SDP }); // host is in another room
    assert.equal((await cross).code, 'NOT_FOUND');

    const big = nextMessage(h.room, 'webrtc:error');
    h.room.send('webrtc:offer', { to: viewer!.id, sdp: 'a'.repeat(17 * 1024) });
    const e = await big;
    assert.equal(e.code, 'VALIDATION');
    assert.match(e.message, /sdp/);

    const notJoined = await sdk(outsider!).joinById(stream.roomId);
    rooms.push(notJoined);
    const refused = nextMessage(notJoined, 'webrtc:error');
    notJoined.send('webrtc:ice-candidate', {
      to: host!.id,
      candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' },
    });
    assert.equal((await refused).code, 'FORBIDDEN');

    // Over HTTP the same rules hold: a stranger in another room cannot reach the host.
    const http = await api('POST', '/api/webrtc/offer', {
      token: outsider!.token,
      body: { roomId: other.roomId, to: host!.id, sdp: SDP },
    });
    assert.equal(http.status, 404);
    const viaHttp = nextMessage(v.room, 'webrtc:answer');
    const okHttp = await api('POST', '/api/webrtc/answer', {
      token: host!.token,
      body: { roomId: stream.roomId, to: viewer!.id, sdp: SDP },
    });
    assert.equal(okHttp.status, 200);
    assert.equal((await viaHttp).from, host!.id);
    // Sentinel: the outsider's own health-check answer is sent after anything that could have leaked to it.
    const sentinel = nextMessage(o.room, 'webrtc:health-status');
    o.room.send('webrtc:health-check', {});
    await sentinel;
    assert.equal(seenByOutsider.length, 0, 'nothing leaks to another room');
  });

  it('tracks toggles, quality tiers with hysteresis, peer-quality-changed, warnings and health', async () => {
    const [host, viewer] = await registerUsers(2, 'q');
    const stream = await startStream(host!);
    const h = await joinSignaling(host!, stream.roomId);
    const v = await joinSignaling(viewer!, stream.roomId);
    rooms.push(h.room, v.room);

    const toggled = nextMessage(v.room, 'webrtc:track-toggled');
    h.room.send('webrtc:toggle-track', { kind: 'video', enabled: false });
    assert.deepEqual(await toggled, { userId: host!.id, kind: 'video', enabled: false });
    await waitFor(() => v.room.state.peers.get(host!.id)?.video === false, 3000, 'video off in state');

    const adapted = collect(h.room, 'webrtc:quality-adapted');
    const changed = collect(v.room, 'webrtc:peer-quality-changed');
    const warnings = collect(v.room, 'webrtc:connection-warning');
    const send = (bitrateKbps: number, rttMs: number, packetLossPct: number) =>
      h.room.send('webrtc:stats-update', { bitrateKbps, rttMs, packetLossPct, frameRate: 30 });
    send(3000, 20, 0); // excellent
    send(1500, 20, 0); // a dip
    send(3000, 20, 0); // back: no change
    send(300, 300, 10); // poor
    send(300, 300, 10); // poor again: steps down
    await waitFor(() => adapted.length === 5, 3000, 'five answers');
    assert.deepEqual(
      adapted.map((a) => a.tier),
      ['excellent', 'excellent', 'excellent', 'excellent', 'poor'],
    );
    assert.equal(adapted[4].resolution, 'low');
    await waitFor(() => changed.length === 2, 3000, 'two tier changes seen by the other peer');
    assert.deepEqual(
      changed.map((c) => c.tier),
      ['excellent', 'poor'],
    );
    await waitFor(
      () => warnings.some((w) => w.reason === 'degraded' && w.userId === host!.id),
      3000,
      'degraded warning',
    );
    await waitFor(() => v.room.state.peers.get(host!.id)?.quality === 'poor', 3000, 'tier in state');

    const status = nextMessage(v.room, 'webrtc:health-status');
    v.room.send('webrtc:health-check', {});
    const health = await status;
    const hostHealth = health.peers.find((p: any) => p.userId === host!.id);
    assert.equal(hostHealth.quality, 'poor');
    assert.equal(hostHealth.healthy, false);

    const bad = nextMessage(h.room, 'webrtc:error');
    h.room.send('webrtc:stats-update', { bitrateKbps: -1, rttMs: 20, packetLossPct: 0 });
    assert.equal((await bad).code, 'VALIDATION');
  });

  it('REST: setup, quality adapt, connection monitor and failure paths', async () => {
    const [host, viewer] = await registerUsers(2, 'rest');
    const stream = await startStream(host!);
    const adapt = await api('POST', '/api/webrtc/quality/adapt', {
      token: viewer!.token,
      body: { stats: { bitrateKbps: 800, rttMs: 40, packetLossPct: 0 } },
    });
    assert.deepEqual(adapt.body.data, { tier: 'fair', resolution: '480p', maxBitrateKbps: 1000 });
    const badAdapt = await api('POST', '/api/webrtc/quality/adapt', {
      token: viewer!.token,
      body: { stats: { bitrateKbps: 'fast' } },
    });
    assert.equal(badAdapt.status, 400);
    const monitor = await api('POST', '/api/webrtc/connection/monitor', {
      token: viewer!.token,
      body: { stats: { bitrateKbps: 200, rttMs: 400, packetLossPct: 12 } },
    });
    assert.equal(monitor.body.data.healthy, false);
    assert.equal(monitor.body.data.tier, 'poor');
    const notPeer = await api('POST', '/api/webrtc/connection/monitor', {
      token: viewer!.token,
      body: { roomId: stream.roomId, stats: { bitrateKbps: 2500, rttMs: 10, packetLossPct: 0 } },
    });
    assert.equal(notPeer.status, 403);
    const missing = await api('GET', '/api/webrtc/stream/nope/join', { token: viewer!.token });
    assert.equal(missing.status, 404);
    const notHost = await api('POST', `/api/webrtc/stream/${stream.streamId}/end`, { token: viewer!.token });
    assert.equal(notHost.status, 403);
    const end = await api('POST', `/api/webrtc/stream/${stream.streamId}/end`, { token: host!.token });
    assert.equal(end.status, 200);
    await waitFor(
      async () =>
        (await api('GET', `/api/webrtc/stream/${stream.streamId}/join`, { token: viewer!.token })).status === 409,
      3000,
      'ended',
    );
    const battle = await api('GET', '/api/webrtc/battle/00000000-0000-0000-0000-000000000000/setup', {
      token: viewer!.token,
    });
    assert.equal(battle.status, 404);
  });

  it('peers equal who is in the room: connected false during the grace, gone after a leave, replaced on reload', async () => {
    const [host, viewer, reloader] = await registerUsers(3, 'ps');
    const stream = await startStream(host!);
    let h = await joinSignaling(host!, stream.roomId);
    const v = await joinSignaling(viewer!, stream.roomId);
    const hostPeer = () => v.room.state.peers.get(host!.id); // live_stream syncs the host's peer only
    await waitFor(() => hostPeer()?.connected === true, 3000, 'host peer connected');
    /** The relay's peers, as the host's health check lists them. */
    const relayPeers = async () => {
      const status = nextMessage(h.room, 'webrtc:health-status');
      h.room.send('webrtc:health-check', {});
      return ((await status).peers as { userId: string }[]).map((p) => p.userId).sort();
    };

    // The host's socket drops (not a consented leave): its peer stays, shown disconnected.
    const hostToken = h.room.reconnectionToken;
    h.room.connection.close(3001, 'network gone');
    await waitFor(() => hostPeer()?.connected === false, 3000, 'host peer connected: false');
    // Back within the grace: the same peer, connected again, and it may signal (a new client object, same session).
    h = { room: await sdk(host!).reconnect(hostToken), existing: undefined };
    rooms.push(h.room);
    await waitFor(() => hostPeer()?.connected === true, 3000, 'host peer connected again');
    assert.deepEqual(await relayPeers(), [host!.id, viewer!.id].sort());

    // A viewer drops, comes back, then leaves for good: its peer goes (it stayed forever before).
    const vToken = v.room.reconnectionToken;
    v.room.connection.close(3001, 'network gone');
    const back = await sdk(viewer!).reconnect(vToken);
    const left = nextMessage(h.room, 'webrtc:peer-left');
    await back.leave();
    assert.equal((await left).userId, viewer!.id);
    assert.deepEqual(await relayPeers(), [host!.id]);

    // A reload is a new session replacing the old one; the old session expiring removes nothing.
    const r1 = await joinSignaling(reloader!, stream.roomId);
    r1.room.connection.close(3001, 'page reload');
    const r2 = await joinSignaling(reloader!, stream.roomId);
    rooms.push(r2.room);
    await sleep(config().STREAM_RECONNECT_GRACE_MS + 300); // the old session's grace ends
    assert.deepEqual(await relayPeers(), [host!.id, reloader!.id].sort());
    assert.equal(r2.room.state.peers.get(host!.id)?.connected, true);
    assert.equal(r2.room.state.viewerCount, 1);
  });
});
