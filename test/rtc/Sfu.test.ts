/**
 * Media through a real SFU: Janus 1.1 (Debian package, VideoRoom) in a network namespace the
 * suite creates (test/janusNetns.ts), werift peers publishing synthetic VP8/Opus and viewers
 * counting the RTP they receive. Skipped with one line when Janus or namespaces are not
 * available here; with CI=true that is a failure instead.
 */
import assert from 'node:assert/strict';
import type { Room } from '@colyseus/sdk';
import Janode from 'janode';
import { loadConfig } from '../../src/config';
import { logger } from '../../src/logger';
import { currentSfu, setSfu } from '../../src/rtc/sfu';
import { JanusSfu, preferClientActive } from '../../src/rtc/sfu/JanusSfu';
import { api, nextMessage, registerUser, registerUsers, sdk, type TestUser, testEnv, waitFor } from '../helpers';
import { type JanusInNetns, janusUnavailable, startJanus } from '../janusNetns';
import { LAYER_FILL, publish, publishSimulcast, type Publisher, reply, type Viewer, watch } from '../sfuPeers';

async function startStream(host: TestUser) {
  const res = await api('POST', '/api/webrtc/stream/start', { token: host.token, body: { title: 'SFU' } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data as { streamId: string; roomId: string };
}

async function joinRoom(user: TestUser, roomId: string): Promise<Room> {
  const room = await sdk(user).joinById(roomId);
  await waitFor(() => room.state?.feeds, 3000, 'state');
  return room;
}

describe('SFU configuration and absence', () => {
  it('validates JANUS_URL as a list of ws:// addresses', () => {
    assert.deepEqual(loadConfig(testEnv({ JANUS_URL: 'ws://10.0.0.1:8188, wss://j2:8989' })).janusUrls, [
      'ws://10.0.0.1:8188',
      'wss://j2:8989',
    ]);
    assert.deepEqual(loadConfig(testEnv()).janusUrls, []);
    for (const bad of ['http://x:8188', 'nope', 'ws://a:1,ws://a:1']) {
      assert.throws(() => loadConfig(testEnv({ JANUS_URL: bad })), /JANUS_URL/);
    }
  });

  it('without JANUS_URL: webrtc:publish answers SFU_UNAVAILABLE, /healthz says sfu disabled, mesh stays', async () => {
    assert.equal(currentSfu(), undefined);
    const health = await api('GET', '/healthz');
    assert.equal((health.body as any).checks.sfu, 'disabled');
    assert.equal(health.status, 200);
    const host = await registerUser('nosfu');
    const stream = await startStream(host);
    const room = await joinRoom(host, stream.roomId);
    try {
      const refused = nextMessage(room, 'webrtc:error');
      room.send('webrtc:publish', { offer: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n' });
      const err = await refused;
      assert.equal(err.type, 'webrtc:publish');
      assert.equal(err.code, 'SFU_UNAVAILABLE');
      const existing = nextMessage(room, 'webrtc:existing-peers');
      room.send('webrtc:join-room', {});
      assert.equal((await existing).topology, 'mesh');
    } finally {
      await room.leave();
    }
  });

  it('with Janus unreachable: /healthz says sfu down, webrtc:publish answers SFU_UNAVAILABLE', async () => {
    const down = new JanusSfu({ urls: ['ws://127.0.0.1:1'], logger, requestTimeoutMs: 500 });
    await down.start(300);
    assert.equal(down.status(), 'down');
    setSfu(down);
    try {
      const health = await api('GET', '/healthz');
      assert.equal((health.body as any).checks.sfu, 'down');
      const host = await registerUser('sfudown');
      const stream = await startStream(host);
      const room = await joinRoom(host, stream.roomId);
      try {
        const refused = nextMessage(room, 'webrtc:error');
        room.send('webrtc:publish', { offer: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n' });
        const err = await refused;
        assert.deepEqual([err.type, err.code], ['webrtc:publish', 'SFU_UNAVAILABLE']);
      } finally {
        await room.leave();
      }
    } finally {
      setSfu(undefined);
      await down.close();
    }
  });

  it('offers to Janus say a=setup:active (the client starts DTLS at once)', () => {
    assert.equal(
      preferClientActive('v=0\r\na=setup:actpass\r\nm=audio 9\r\na=setup:actpass\r\n'),
      'v=0\r\na=setup:active\r\nm=audio 9\r\na=setup:active\r\n',
    );
  });
});

describe('SFU with real Janus (werift peers, real RTP)', function () {
  this.timeout(60_000);
  const unavailable = janusUnavailable();
  let janus: JanusInNetns | undefined;
  let sfu: JanusSfu | undefined;
  const rooms: Room[] = [];
  const peers: Array<Publisher | Viewer> = [];
  let addr = '';

  before(async function () {
    if (unavailable) {
      if (process.env.CI === 'true') throw new Error(`SFU suite must run in CI but cannot: ${unavailable}`);
      console.log(`    SFU suite skipped: ${unavailable}`);
      this.skip();
    }
    janus = await startJanus();
    addr = janus.peerAddress;
    sfu = new JanusSfu({
      urls: [janus.url],
      apiSecret: janus.apiSecret,
      adminKey: janus.adminKey,
      requestTimeoutMs: 5000,
      logger,
    });
    await sfu.start();
    assert.equal(sfu.status(), 'ok');
    setSfu(sfu);
  });

  after(async () => {
    setSfu(undefined);
    await sfu?.close();
    await janus?.stop();
  });

  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.stop().catch(() => undefined)));
    await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => undefined)));
  });

  const join = async (user: TestUser, roomId: string) => {
    const room = await joinRoom(user, roomId);
    rooms.push(room);
    return room;
  };
  const track = <P extends Publisher | Viewer>(p: P): P => {
    peers.push(p);
    return p;
  };
  /** A pending battle between two new hosts, both hosts and a viewer joined to its room. */
  const pendingBattle = async (prefix: string) => {
    const [a, b, viewer] = await registerUsers(3, prefix);
    const res = await api('POST', '/api/pk-battles', { token: a!.token, body: { opponent: b!.id, duration: 5 } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const { battleId, roomId } = res.body.data;
    const [roomA, roomB, viewerRoom] = [await join(a!, roomId), await join(b!, roomId), await join(viewer!, roomId)];
    const accept = async () =>
      assert.equal((await api('POST', `/api/pk-battles/${battleId}/accept`, { token: b!.token })).status, 200);
    return { a: a!, b: b!, roomA, roomB, viewerRoom, accept };
  };

  it('solo stream: the host publishes VP8/Opus once, 3 viewers receive it; viewers may not publish', async () => {
    const [host, ...viewers] = await registerUsers(4, 'solo');
    const stream = await startStream(host!);
    const hostRoom = await join(host!, stream.roomId);
    track(await publish(hostRoom, addr));
    const viewerRooms = await Promise.all(viewers.map((v) => join(v, stream.roomId)));
    await waitFor(() => viewerRooms.every((r) => r.state.feeds.has(host!.id)), 10_000, 'the host feed in state');
    const feed = viewerRooms[0]!.state.feeds.get(host!.id);
    assert.equal(feed.audio, true);
    assert.equal(feed.video, true);

    const watching = await Promise.all(viewerRooms.map((r) => watch(r, addr).then(track)));
    for (const w of watching) {
      assert.deepEqual([...new Set([...w.streams.values()].map((s) => s.feed))], [host!.id]);
      assert.ok(Array.isArray(w.lastOffer?.iceServers));
    }
    await waitFor(
      () => watching.every((w) => w.packetsFrom(host!.id, 'video') > 10 && w.packetsFrom(host!.id, 'audio') > 10),
      10_000,
      'RTP on every viewer',
    );
    const before = watching.map((w) => w.packetsFrom(host!.id));
    await waitFor(() => watching.every((w, i) => w.packetsFrom(host!.id) > before[i]! + 20), 5000, 'RTP still growing');

    // A viewer's publish is refused, and with the SFU on the room refuses mesh offers.
    await assert.rejects(publish(viewerRooms[0]!, addr), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'FORBIDDEN');
      assert.match(e.message, /Only the hosts/);
      return true;
    });
    const existing = nextMessage(viewerRooms[1]!, 'webrtc:existing-peers');
    viewerRooms[1]!.send('webrtc:join-room', {});
    assert.equal((await existing).topology, 'sfu');
    assert.equal((await existing).sfu, 'ok');
    assert.equal(((await api('GET', '/healthz')).body as any).checks.sfu, 'ok');

    // The relay's tier decision (from stats-update) switches the viewer's simulcast layer, as does adapt-quality.
    const layer = nextMessage(viewerRooms[1]!, 'webrtc:layer-selected');
    viewerRooms[1]!.send('webrtc:stats-update', { bitrateKbps: 200, rttMs: 400, packetLossPct: 9 });
    assert.deepEqual(await layer, { tier: 'poor', resolution: 'low', substream: 0, temporal: null });
    // A viewer that never joined signaling asks for a tier: the decision, and its layer switched.
    const switched = nextMessage(viewerRooms[2]!, 'webrtc:layer-selected');
    const decided = nextMessage(viewerRooms[2]!, 'webrtc:quality-adapted');
    viewerRooms[2]!.send('webrtc:adapt-quality', { tier: 'fair' });
    assert.deepEqual([(await decided).tier, (await decided).reason], ['fair', 'granted']);
    assert.deepEqual(await switched, { tier: 'fair', resolution: '480p', substream: 1, temporal: null });

    // The host stops: its feed leaves state.
    const gone = reply(hostRoom, 'webrtc:unpublished', 'webrtc:unpublish');
    hostRoom.send('webrtc:unpublish', {});
    assert.equal((await gone).feed, host!.id);
    await waitFor(() => viewerRooms.every((r) => !r.state.feeds.has(host!.id)), 5000, 'feed gone');
  });

  it('simulcast: a viewer’s quality tier switches the layer Janus sends it', async () => {
    const [host, viewer] = await registerUsers(2, 'simul');
    const stream = await startStream(host!);
    const hostRoom = await join(host!, stream.roomId);
    const viewerRoom = await join(viewer!, stream.roomId);
    track(await publishSimulcast(hostRoom, addr));
    await waitFor(() => viewerRoom.state.feeds.get(host!.id)?.simulcast, 10_000, 'a simulcast feed');
    const w = track(await watch(viewerRoom, addr));
    const mid = [...w.streams].find(([, s]) => s.kind === 'video')![0];
    await waitFor(() => (w.packets.get(mid) ?? 0) > 5, 10_000, 'video');
    const layerIs = (fill: number) => () => w.lastFill.get(mid) === fill;
    for (const [tier, fill] of [
      ['poor', LAYER_FILL.l],
      ['fair', LAYER_FILL.m],
      ['excellent', LAYER_FILL.h],
    ] as const) {
      const switched = nextMessage(viewerRoom, 'webrtc:layer-selected');
      viewerRoom.send('webrtc:adapt-quality', { tier });
      await switched;
      await waitFor(layerIs(fill), 10_000, `the ${tier} layer`);
    }
  });

  it('PK battle: both hosts publish, a viewer receives both', async () => {
    const { a, b, roomA, roomB, viewerRoom, accept } = await pendingBattle('pksfu');
    // Before the battle is accepted there is no SFU room yet.
    await assert.rejects(publish(roomA, addr), /INVALID_STATE/);
    await accept();
    await Promise.all([publish(roomA, addr).then(track), publish(roomB, addr).then(track)]);
    await waitFor(() => viewerRoom.state.feeds.size === 2, 10_000, 'both feeds');
    const w = track(await watch(viewerRoom, addr));
    await waitFor(
      () => w.packetsFrom(a.id, 'video') > 10 && w.packetsFrom(b.id, 'video') > 10,
      10_000,
      'RTP from both hosts',
    );
    await assert.rejects(publish(viewerRoom, addr), /FORBIDDEN/);
  });

  it('a viewer who subscribed before the second host published adds that feed to the same connection', async () => {
    const { a, b, roomA, roomB, viewerRoom, accept } = await pendingBattle('pklate');
    await accept();
    track(await publish(roomA, addr));
    await waitFor(() => viewerRoom.state.feeds.size === 1, 10_000, 'the first feed');
    const w = track(await watch(viewerRoom, addr));
    await waitFor(() => w.packetsFrom(a.id, 'video') > 10, 10_000, 'RTP from the first host');
    track(await publish(roomB, addr));
    await waitFor(() => viewerRoom.state.feeds.size === 2, 10_000, 'the second feed');
    // Adding a feed to a live subscription: Janus refused the update when it carried an empty unsubscribe list.
    await w.resubscribe();
    await waitFor(() => w.packetsFrom(b.id, 'video') > 10, 10_000, 'RTP from the second host');
    assert.ok(w.packetsFrom(a.id, 'video') > 10, 'the first host still arrives');
  });

  it('multi-host: 9 hosts all publish, one viewer receives all 9; a removed host leaves state and the viewer', async () => {
    const users = await registerUsers(10, 'mh9');
    const [owner, ...others] = users;
    const viewer = others.pop()!;
    const created = await api('POST', '/api/multihost', {
      token: owner!.token,
      body: { title: 'Nine', type: 'panel', layout: 'grid', maxHosts: 9 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { sessionId, roomId } = created.body.data;
    for (const u of others) {
      const inv = await api('POST', `/api/multihost/${sessionId}/invite`, {
        token: owner!.token,
        body: { userId: u.id },
      });
      assert.equal(inv.status, 200, JSON.stringify(inv.body));
      assert.equal((await api('POST', `/api/multihost/${sessionId}/accept`, { token: u.token })).status, 200);
    }
    assert.equal((await api('POST', `/api/multihost/${sessionId}/start`, { token: owner!.token })).status, 200);
    const hosts = [owner!, ...others];
    assert.equal(hosts.length, 9);
    const hostRooms = await Promise.all(hosts.map((h) => join(h, roomId)));
    const viewerRoom = await join(viewer, roomId);
    assert.equal(viewerRoom.state.topology, 'sfu');
    await Promise.all(hostRooms.map((r) => publish(r, addr).then(track)));
    await waitFor(() => viewerRoom.state.feeds.size === 9, 15_000, '9 feeds in state');

    const w = track(await watch(viewerRoom, addr));
    assert.equal(new Set([...w.streams.values()].map((s) => s.feed)).size, 9);
    await waitFor(() => hosts.every((h) => w.packetsFrom(h.id, 'video') > 5), 15_000, 'RTP from all 9 hosts');

    // A co-host is removed: unpublished at once, gone from state, and the SFU re-offers the viewer without it.
    const removed = hosts[3]!;
    const told = nextMessage(hostRooms[3]!, 'webrtc:unpublished');
    const del = await api('DELETE', `/api/multihost/${sessionId}/hosts/${removed.id}`, { token: owner!.token });
    assert.equal(del.status, 200, JSON.stringify(del.body));
    assert.deepEqual(await told, { feed: removed.id, reason: 'removed' });
    await waitFor(() => !viewerRoom.state.feeds.has(removed.id), 5000, 'feed gone from state');
    assert.equal(viewerRoom.state.feeds.size, 8);
    await waitFor(
      () => w.offers >= 2 && ![...w.streams.values()].some((s) => s.feed === removed.id && s.active),
      10_000,
      'the viewer re-offered without the removed feed',
    );
    // The others keep flowing.
    const before = hosts.filter((h) => h !== removed).map((h) => w.packetsFrom(h.id, 'video'));
    await waitFor(
      () => hosts.filter((h) => h !== removed).every((h, i) => w.packetsFrom(h.id, 'video') > before[i]! + 5),
      10_000,
      'the other 8 still arriving',
    );
    // The removed host may not publish again.
    await assert.rejects(publish(hostRooms[3]!, addr), /FORBIDDEN/);
  });

  it('live shopping: the seller publishes, a buyer watches', async () => {
    const [seller, buyer] = await registerUsers(2, 'shopsfu');
    const res = await api('POST', '/api/live-shopping', { token: seller!.token, body: { title: 'Drop' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const { sessionId, roomId } = res.body.data;
    assert.equal((await api('POST', `/api/live-shopping/${sessionId}/start`, { token: seller!.token })).status, 200);
    const sellerRoom = await join(seller!, roomId);
    const buyerRoom = await join(buyer!, roomId);
    track(await publish(sellerRoom, addr));
    await waitFor(() => buyerRoom.state.feeds.has(seller!.id), 10_000, 'seller feed');
    const w = track(await watch(buyerRoom, addr));
    await waitFor(() => w.packetsFrom(seller!.id, 'video') > 10, 10_000, 'RTP on the buyer');
    await assert.rejects(publish(buyerRoom, addr), /FORBIDDEN/);
  });

  it('a client reaches only the feeds of its own room, and never the Janus API', async () => {
    const [hostA, hostB, viewer] = await registerUsers(3, 'iso');
    const [sa, sb] = await Promise.all([startStream(hostA!), startStream(hostB!)]);
    const roomB = await join(hostB!, sb.roomId);
    track(await publish(roomB, addr));
    const viewerRoom = await join(viewer!, sa.roomId);
    const refused = reply(viewerRoom, 'webrtc:subscription-offer', 'webrtc:subscribe');
    viewerRoom.send('webrtc:subscribe', { feeds: [hostB!.id] });
    await assert.rejects(refused, /NOT_FOUND/);
    // Janus's API needs the secret only the server holds.
    const conn = await Janode.connect({ address: { url: janus!.url }, max_retries: 0 });
    try {
      await assert.rejects(conn.create(), /403|[Uu]nauthori[sz]ed/);
    } finally {
      await conn.close().catch(() => undefined);
    }
  });

  it('Janus killed and restarted: rooms are re-created, clients told webrtc:sfu-reset, media flows again', async () => {
    const [host, viewer] = await registerUsers(2, 'reset');
    const stream = await startStream(host!);
    const hostRoom = await join(host!, stream.roomId);
    const viewerRoom = await join(viewer!, stream.roomId);
    const first = track(await publish(hostRoom, addr));
    await waitFor(() => viewerRoom.state.feeds.has(host!.id), 10_000, 'feed');
    const w1 = track(await watch(viewerRoom, addr));
    await waitFor(() => w1.packetsFrom(host!.id, 'video') > 5, 10_000, 'RTP before the restart');

    const resetHost = nextMessage(hostRoom, 'webrtc:sfu-reset', 20_000);
    const resetViewer = nextMessage(viewerRoom, 'webrtc:sfu-reset', 20_000);
    const t0 = Date.now();
    await janus!.restart();
    await Promise.all([resetHost, resetViewer]);
    const toldAfter = Date.now() - t0;
    assert.ok(toldAfter < 15_000, `told after ${toldAfter} ms`);
    await waitFor(() => hostRoom.state.feeds.size === 0, 3000, 'feeds cleared');
    assert.equal(sfu!.status(), 'ok');

    // Clients start over: the host publishes again, the viewer subscribes again.
    await first.stop();
    await w1.stop();
    track(await publish(hostRoom, addr));
    await waitFor(() => viewerRoom.state.feeds.has(host!.id), 10_000, 'feed after the restart');
    const w2 = track(await watch(viewerRoom, addr));
    await waitFor(() => w2.packetsFrom(host!.id, 'video') > 5, 10_000, 'RTP after the restart');
    assert.ok(Date.now() - t0 < 30_000);
  });
});

describe('SFU over several Janus servers', function () {
  this.timeout(30_000);
  const unavailable = janusUnavailable();
  const januses: JanusInNetns[] = [];
  let sfu: JanusSfu | undefined;

  before(async function () {
    if (unavailable) {
      if (process.env.CI === 'true') throw new Error(`SFU suite must run in CI but cannot: ${unavailable}`);
      this.skip();
    }
    const first = await startJanus();
    januses.push(first, await startJanus({ apiSecret: first.apiSecret, adminKey: first.adminKey }));
  });

  after(async () => {
    await sfu?.close();
    await Promise.all(januses.map((j) => j.stop()));
  });

  it('places rooms on the least-loaded server, keeps them there, and moves them when their server dies', async () => {
    const [j1, j2] = januses as [JanusInNetns, JanusInNetns];
    sfu = new JanusSfu({ urls: [j1.url, j2.url], apiSecret: j1.apiSecret, adminKey: j1.adminKey, logger });
    await sfu.start();
    await waitFor(() => sfu!.stats().servers.every((s) => s.up), 5000, 'both servers up');
    const resets: string[] = [];
    const events = (room: string) => ({
      publisherUp: () => {},
      publisherDown: () => {},
      subscriptionUpdated: () => {},
      candidate: () => {},
      reset: () => resets.push(room),
    });
    await sfu.ensureRoom('a', events('a'));
    await sfu.ensureRoom('b', events('b'));
    const rooms = () => sfu!.stats().servers.map((s) => s.rooms);
    assert.deepEqual(rooms(), [1, 1]);
    await sfu.ensureRoom('a', events('a'));
    assert.deepEqual(rooms(), [1, 1], 'sticky: ensuring again does not move or duplicate');

    await j1.kill();
    await waitFor(() => resets.length === 1, 10_000, 'the room on the dead server re-created elsewhere');
    assert.deepEqual(
      sfu.stats().servers.map((s) => [s.up, s.rooms]),
      [
        [false, 0],
        [true, 2],
      ],
    );
    await j1.start();
    await waitFor(() => sfu!.stats().servers[0]!.up, 10_000, 'reconnected to the restarted server');
    assert.deepEqual(rooms(), [0, 2], 'rooms stay where they are');
    assert.equal(resets.length, 1);
    await sfu.destroyRoom('a');
    await sfu.destroyRoom('b');
    assert.deepEqual(rooms(), [0, 0]);
  });
});
