/** Finding a session's room by its id, and the answers added with the model: decline and deny. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { matchMaker, Room } from '@colyseus/core';
import { exposed } from '../../src/rooms/roomCall';
import { api, joinInbox, nextMessage, registerUsers, sdk, waitFor } from '../helpers';

/** A room of another kind whose id is a UUID (as a battle's or a shopping session's room is) and that would answer. */
class DecoyRoom extends Room {
  static called = 0;
  override onCreate(options: { id: string }): void {
    this.roomId = options.id;
  }
  rpcCommand() {
    DecoyRoom.called++;
    return exposed(() => ({ decoy: true }));
  }
  rtcSetup() {
    return this.rpcCommand();
  }
}

describe('Multi-host routes', function () {
  this.timeout(30_000);

  it('never reach a room of another kind whose id is a UUID', async () => {
    const [user] = await registerUsers(1, 'mhkind');
    matchMaker.defineRoomType('decoy_room', DecoyRoom);
    const id = randomUUID();
    await matchMaker.createRoom('decoy_room', { id });
    try {
      const start = await api('POST', `/api/multihost/${id}/start`, { token: user!.token });
      assert.deepEqual([start.status, start.body.message], [404, 'Session not found']);
      const setup = await api('GET', `/api/webrtc/multihost/${id}/setup`, { token: user!.token });
      assert.equal(setup.status, 404);
      assert.equal(DecoyRoom.called, 0);
    } finally {
      await matchMaker.getLocalRoomById(id)?.disconnect();
      matchMaker.removeRoomType('decoy_room');
    }
  });

  it('the room id is the session id; a gone room answers 409 from the row, an unknown id 404', async () => {
    const [owner] = await registerUsers(1, 'mhid');
    const created = await api('POST', '/api/multihost', { token: owner!.token, body: { title: 'Id', type: 'panel' } });
    assert.equal(created.status, 201);
    const { sessionId, roomId } = created.body.data;
    assert.equal(roomId, sessionId);
    const room = await sdk(owner).joinById(sessionId);
    await waitFor(() => room.state?.sessionId === sessionId, 3000, 'state');
    const ended = nextMessage(room, 'multihost:ended');
    assert.equal((await api('POST', `/api/multihost/${sessionId}/end`, { token: owner!.token })).status, 200);
    await ended;
    // The room closes shortly after the end; then the row answers.
    const invite = () =>
      api('POST', `/api/multihost/${sessionId}/invite`, { token: owner!.token, body: { userId: owner!.id } });
    const gone = await waitFor(
      async () => {
        const r = await invite();
        return r.body.message === 'Session is ended' ? r : null;
      },
      5000,
      'the row answers',
    );
    assert.deepEqual([gone!.status, gone!.body.code], [409, 'INVALID_STATE']);
    const setup = await api('GET', `/api/webrtc/multihost/${sessionId}/setup`, { token: owner!.token });
    assert.equal(setup.status, 404);
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const r = await api('POST', `/api/multihost/${id}/start`, { token: owner!.token });
      assert.deepEqual([r.status, r.body.message], [404, 'Session not found'], id);
    }
  });

  it('an invitee declines (the inviter is told); a host denies a join request (the requester is told)', async () => {
    const [owner, invitee, asker, guest] = await registerUsers(4, 'mhans');
    const s = (await api('POST', '/api/multihost', { token: owner!.token, body: { title: 'Ans', type: 'panel' } })).body
      .data;
    const ownerInbox = await joinInbox(owner!);
    const askerInbox = await joinInbox(asker!);
    ownerInbox.room.onMessage('multihost:join-request', () => undefined);
    const invite = await api('POST', `/api/multihost/${s.sessionId}/invite`, {
      token: owner!.token,
      body: { userId: invitee!.id },
    });
    assert.equal(invite.status, 200);
    assert.equal((await api('POST', `/api/multihost/${s.sessionId}/decline`, { token: guest!.token })).status, 403);
    const told = nextMessage(ownerInbox.room, 'multihost:declined');
    const declined = await api('POST', `/api/multihost/${s.sessionId}/decline`, { token: invitee!.token });
    assert.deepEqual([declined.status, declined.body.data], [200, { sessionId: s.sessionId, declined: true }]);
    assert.equal((await told).user.id, invitee!.id);
    assert.equal((await api('POST', `/api/multihost/${s.sessionId}/accept`, { token: invitee!.token })).status, 403);

    assert.equal((await api('POST', `/api/multihost/${s.sessionId}/request`, { token: asker!.token })).status, 200);
    const deny = (token: string) =>
      api('POST', `/api/multihost/${s.sessionId}/deny`, { token, body: { userId: asker!.id } });
    assert.equal((await deny(guest!.token)).status, 403);
    const denied = nextMessage(askerInbox.room, 'multihost:denied');
    assert.equal((await deny(owner!.token)).status, 200);
    assert.equal((await denied).sessionId, s.sessionId);
    assert.equal((await deny(owner!.token)).status, 404);
    const approve = await api('POST', `/api/multihost/${s.sessionId}/approve`, {
      token: owner!.token,
      body: { userId: asker!.id },
    });
    assert.equal(approve.status, 404);
    const rows = await api('GET', `/api/multihost/${s.sessionId}`, { token: owner!.token });
    assert.equal(rows.body.data.live.hosts.length, 1, 'nobody was seated');
    await api('POST', `/api/multihost/${s.sessionId}/end`, { token: owner!.token });
    await Promise.all([ownerInbox.room.leave(), askerInbox.room.leave()]);
  });
});
