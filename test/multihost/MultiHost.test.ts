import assert from 'node:assert/strict';
import type { Room } from '@colyseus/sdk';
import { api, joinInbox, nextMessage, registerUsers, sdk, server, type TestUser, waitFor } from '../helpers';
import { attachPeer, connect, type Peer } from '../rtcPeers';

async function createSession(owner: TestUser, body: Record<string, unknown> = {}) {
  const res = await api('POST', '/api/multihost', {
    token: owner.token,
    body: { title: 'Panel', type: 'panel', layout: 'grid', ...body },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data as { sessionId: string; roomId: string };
}

async function seatByInvite(owner: TestUser, sessionId: string, user: TestUser) {
  const inv = await api('POST', `/api/multihost/${sessionId}/invite`, {
    token: owner.token,
    body: { userId: user.id },
  });
  assert.equal(inv.status, 200, JSON.stringify(inv.body));
  const acc = await api('POST', `/api/multihost/${sessionId}/accept`, { token: user.token });
  assert.equal(acc.status, 200, JSON.stringify(acc.body));
}

async function joinRoom(user: TestUser, roomId: string): Promise<Room> {
  const room = await sdk(user).joinById(roomId);
  await waitFor(() => room.state?.sessionId, 3000, 'state');
  return room;
}

describe('Multi-host sessions', function () {
  this.timeout(60_000);
  const rooms: Room[] = [];
  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => undefined)));
  });

  it('validates creation, and only the primary host starts', async () => {
    const [owner, other] = await registerUsers(2, 'mh');
    for (const body of [{ type: 'party' }, { layout: 'mosaic' }, { maxHosts: 10 }, { title: '' }]) {
      const r = await api('POST', '/api/multihost', {
        token: owner!.token,
        body: { title: 'x', type: 'panel', ...body },
      });
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    const s = await createSession(owner!);
    assert.equal((await api('POST', `/api/multihost/${s.sessionId}/start`, { token: other!.token })).status, 403);
    const started = await api('POST', `/api/multihost/${s.sessionId}/start`, { token: owner!.token });
    assert.equal(started.status, 200);
    assert.equal(started.body.data.status, 'live');
    const list = await api('GET', '/api/multihost/active/list?limit=100', { token: other!.token });
    assert.ok(list.body.data.sessions.some((x: any) => x.id === s.sessionId));
    const got = await api('GET', `/api/multihost/${s.sessionId}`, { token: other!.token });
    assert.equal(got.body.data.live.hosts[0].role, 'primary');
    const mine = await api('GET', `/api/multihost/user/${owner!.id}`, { token: other!.token });
    assert.ok(mine.body.data.sessions.some((x: any) => x.id === s.sessionId));
  });

  it('invite → inbox → accept → joined; request → approve; roles decide who may do what', async () => {
    const [owner, cohost, guest, viewer, stranger] = await registerUsers(5, 'mr');
    const s = await createSession(owner!);
    const viewerRoom = await joinRoom(viewer!, s.roomId);
    rooms.push(viewerRoom);
    const inbox = await joinInbox(cohost!);
    rooms.push(inbox.room);
    const invited = nextMessage(inbox.room, 'multihost:invited');
    const joinedEvent = nextMessage(viewerRoom, 'multihost:joined');
    await seatByInvite(owner!, s.sessionId, cohost!);
    assert.equal((await invited).sessionId, s.sessionId);
    assert.equal((await joinedEvent).userId, cohost!.id);
    assert.equal((await api('POST', `/api/multihost/${s.sessionId}/accept`, { token: stranger!.token })).status, 403);

    const ownerInbox = await joinInbox(owner!);
    rooms.push(ownerInbox.room);
    const request = nextMessage(ownerInbox.room, 'multihost:join-request');
    assert.equal((await api('POST', `/api/multihost/${s.sessionId}/request`, { token: guest!.token })).status, 200);
    assert.equal((await request).user.id, guest!.id);
    // A request is not a seat: approving needs the right role.
    assert.equal(
      (
        await api('POST', `/api/multihost/${s.sessionId}/approve`, {
          token: stranger!.token,
          body: { userId: guest!.id },
        })
      ).status,
      403,
    );
    assert.equal(
      (
        await api('POST', `/api/multihost/${s.sessionId}/approve`, {
          token: cohost!.token,
          body: { userId: guest!.id },
        })
      ).status,
      200,
    );
    await waitFor(() => viewerRoom.state.hosts.size === 3, 3000, 'three hosts');
    assert.equal(viewerRoom.state.hosts.get(guest!.id).role, 'guest');
    assert.equal(viewerRoom.state.viewerCount, 1);

    const deny = async (method: string, path: string, token: string, body?: unknown) => {
      const r = await api(method, `/api/multihost/${s.sessionId}${path}`, { token, body });
      assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.body)}`);
    };
    await deny('POST', '/invite', guest!.token, { userId: stranger!.id });
    await deny('PUT', '/layout', guest!.token, { layout: 'pip' });
    await deny('PUT', '/settings', guest!.token, { userId: cohost!.id, audio: false });
    await deny('DELETE', `/hosts/${owner!.id}`, cohost!.token);
    await deny('DELETE', `/hosts/${cohost!.id}`, guest!.token);
    await deny('PUT', '/settings', cohost!.token, { userId: guest!.id, role: 'co-host' }); // only the primary assigns roles
    await deny('POST', '/end', cohost!.token);
    assert.equal(viewerRoom.state.hosts.get(cohost!.id).audio, true, 'nothing changed');

    // Allowed by role: a co-host mutes a guest, the primary promotes, a co-host removes a guest.
    const muted = await api('PUT', `/api/multihost/${s.sessionId}/settings`, {
      token: cohost!.token,
      body: { userId: guest!.id, audio: false },
    });
    assert.equal(muted.status, 200);
    await waitFor(() => viewerRoom.state.hosts.get(guest!.id).audio === false, 3000, 'guest muted');
    const own = await api('PUT', `/api/multihost/${s.sessionId}/settings`, {
      token: guest!.token,
      body: { video: false },
    });
    assert.equal(own.status, 200);
    const left = nextMessage(viewerRoom, 'multihost:left');
    assert.equal(
      (await api('DELETE', `/api/multihost/${s.sessionId}/hosts/${guest!.id}`, { token: cohost!.token })).status,
      200,
    );
    assert.deepEqual(await left, { sessionId: s.sessionId, userId: guest!.id, reason: 'removed' });
    const bad = await api('PUT', `/api/multihost/${s.sessionId}/settings`, { token: owner!.token, body: {} });
    assert.equal(bad.status, 400);
  });

  it('never seats more than maxHosts, even with thirty accepts and approvals at once', async () => {
    const owner = (await registerUsers(1, 'cap'))[0]!;
    const s = await createSession(owner, { maxHosts: 5 });
    const crowd = await registerUsers(30, 'cc');
    for (const u of crowd.slice(0, 20)) {
      const r = await api('POST', `/api/multihost/${s.sessionId}/invite`, {
        token: owner.token,
        body: { userId: u.id },
      });
      assert.equal(r.status, 200);
    }
    for (const u of crowd.slice(20))
      assert.equal((await api('POST', `/api/multihost/${s.sessionId}/request`, { token: u.token })).status, 200);
    const results = await Promise.all([
      ...crowd.slice(0, 20).map((u) => api('POST', `/api/multihost/${s.sessionId}/accept`, { token: u.token })),
      ...crowd
        .slice(20)
        .map((u) =>
          api('POST', `/api/multihost/${s.sessionId}/approve`, { token: owner.token, body: { userId: u.id } }),
        ),
    ]);
    const seated = results.filter((r) => r.status === 200).length;
    assert.equal(seated, 4); // the owner holds the fifth seat
    assert.ok(results.filter((r) => r.status !== 200).every((r) => r.status === 409 && r.body.code === 'CAPACITY'));
    const snapshot = await api('GET', `/api/multihost/${s.sessionId}`, { token: owner.token });
    assert.equal(snapshot.body.data.live.hosts.length, 5);
    assert.equal(snapshot.body.data.live.topology, 'sfu');
  });

  it('computes layouts into synced state and announces changes', async () => {
    const [owner, a, b, viewer] = await registerUsers(4, 'ly');
    const s = await createSession(owner!);
    await seatByInvite(owner!, s.sessionId, a!);
    await seatByInvite(owner!, s.sessionId, b!);
    const room = await joinRoom(viewer!, s.roomId);
    rooms.push(room);
    await waitFor(() => room.state.hosts.size === 3, 3000, 'hosts');
    assert.deepEqual(
      { w: room.state.hosts.get(owner!.id).tile.w, h: room.state.hosts.get(owner!.id).tile.h },
      { w: 0.5, h: 0.5 },
    );
    const changed = nextMessage(room, 'multihost:layout-changed');
    const r = await api('PUT', `/api/multihost/${s.sessionId}/layout`, {
      token: owner!.token,
      body: { layout: 'spotlight', focusUserId: b!.id },
    });
    assert.equal(r.status, 200);
    const e = await changed;
    assert.equal(e.layout, 'spotlight');
    assert.deepEqual(e.tiles[b!.id], { x: 0, y: 0, w: 1, h: 0.75, z: 0 });
    await waitFor(
      () => room.state.layout === 'spotlight' && room.state.hosts.get(b!.id).tile.h === 0.75,
      3000,
      'tiles in state',
    );
    assert.equal(room.state.focusUserId, b!.id);
    const bad = await api('PUT', `/api/multihost/${s.sessionId}/layout`, {
      token: owner!.token,
      body: { layout: 'spotlight', focusUserId: viewer!.id },
    });
    assert.equal(bad.status, 400);
    await waitFor(
      async () => {
        const row = await api('GET', `/api/multihost/${s.sessionId}`, { token: owner!.token });
        return JSON.stringify(row.body.data.layoutsUsed) === JSON.stringify(['grid', 'spotlight']);
      },
      3000,
      'layouts used recorded',
    );
  });

  it('four hosts connect every pair with real WebRTC through the room; a fifth switches to SFU and mesh offers are refused', async () => {
    const hosts = await registerUsers(5, 'mesh');
    const [owner] = hosts;
    const s = await createSession(owner!);
    for (const h of hosts.slice(1, 4)) await seatByInvite(owner!, s.sessionId, h);
    const hostRooms = await Promise.all(hosts.slice(0, 4).map((h) => joinRoom(h, s.roomId)));
    rooms.push(...hostRooms);
    const peers: Peer[] = [];
    for (const [i, room] of hostRooms.entries()) {
      const ready = nextMessage(room, 'webrtc:multihost-ready');
      room.send('webrtc:start-multihost', {});
      const r = await ready;
      assert.equal(r.topology, 'mesh');
      const existing = nextMessage(room, 'webrtc:existing-peers');
      room.send('webrtc:join-room', {});
      await existing;
      peers.push(attachPeer(hosts[i]!.id, room));
    }
    try {
      const pairs: Array<[number, number]> = [];
      for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) pairs.push([i, j]);
      for (const [i, j] of pairs) {
        const channel = await connect(peers[i]!, hosts[j]!.id);
        channel.send(`from ${i} to ${j}`);
      }
      for (const [i, j] of pairs) {
        await waitFor(
          () => peers[j]!.received.get(hosts[i]!.id)?.includes(`from ${i} to ${j}`),
          10_000,
          `data ${i}→${j}`,
        );
      }
      const setup = await api('GET', `/api/webrtc/multihost/${s.sessionId}/setup`, { token: hosts[1]!.token });
      assert.equal(setup.status, 200);
      assert.equal(setup.body.data.peers.length, 3);
      const viewerSetup = await api('GET', `/api/webrtc/multihost/${s.sessionId}/setup`, { token: hosts[4]!.token });
      assert.equal(viewerSetup.status, 403);

      await seatByInvite(owner!, s.sessionId, hosts[4]!);
      await waitFor(() => hostRooms[0]!.state.topology === 'sfu', 3000, 'sfu');
      const refused = nextMessage(hostRooms[0]!, 'webrtc:error');
      hostRooms[0]!.send('webrtc:offer', { to: hosts[1]!.id, sdp: 'v=0\r\n' });
      const err = await refused;
      assert.equal(err.code, 'INVALID_STATE');
      assert.match(err.message, /SFU/);
    } finally {
      await Promise.all(peers.map((p) => p.close()));
    }
  });

  it('the primary host may come back within the grace window; after it, the session ends and is persisted', async () => {
    const [owner, cohost, viewer] = await registerUsers(3, 'pe');
    const s = await createSession(owner!);
    await api('POST', `/api/multihost/${s.sessionId}/start`, { token: owner!.token });
    await seatByInvite(owner!, s.sessionId, cohost!);
    const viewerRoom = await joinRoom(viewer!, s.roomId);
    rooms.push(viewerRoom);
    let ownerRoom = await joinRoom(owner!, s.roomId);
    await ownerRoom.leave();
    ownerRoom = await joinRoom(owner!, s.roomId); // back within MULTIHOST_RECONNECT_GRACE_MS
    await new Promise((r) => setTimeout(r, server().context.config.MULTIHOST_RECONNECT_GRACE_MS + 300));
    assert.equal(viewerRoom.state.status, 'live');
    assert.equal(viewerRoom.state.hosts.get(owner!.id).role, 'primary');

    const ended = nextMessage(viewerRoom, 'multihost:ended', 10_000);
    await ownerRoom.leave();
    assert.deepEqual(await ended, { sessionId: s.sessionId, reason: 'primary-left' });
    const row = await api('GET', `/api/multihost/${s.sessionId}`, { token: viewer!.token });
    assert.equal(row.body.data.status, 'ended');
    assert.equal(row.body.data.endReason, 'primary-left');
    assert.equal(row.body.data.peakViewers, 1);
    assert.deepEqual(row.body.data.layoutsUsed, ['grid']);
    assert.deepEqual(row.body.data.hosts.map((h: any) => h.role).sort(), ['co-host', 'primary']);
    const late = await api('POST', `/api/multihost/${s.sessionId}/accept`, { token: cohost!.token });
    assert.equal(late.status, 409);
  });
});
