/**
 * One way to find a stream's room: its id is the session id. A second room for the same session is
 * refused before it takes that id (the running room keeps serving), and the routes answer 404 for an
 * unknown session and 409 once the stream's room is gone, as before.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { matchMaker } from '@colyseus/core';
import { roomOf } from '../../src/http/shoppingRoutes';
import { createServerRoom } from '../../src/rooms/roomCreation';
import { api, registerUser, waitFor } from '../helpers';

describe('Live shopping: the room id is the session id', function () {
  this.timeout(20_000);

  it('REST answers roomId = sessionId; a second room for the session is refused and the first keeps serving', async () => {
    const seller = await registerUser('rid');
    const buyer = await registerUser('rid');
    const created = await api('POST', '/api/live-shopping', { token: seller.token, body: { title: 'Same id' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { sessionId, roomId } = created.body.data as { sessionId: string; roomId: string };
    assert.equal(roomId, sessionId);
    const detail = await api('GET', `/api/live-shopping/${sessionId}`, { token: buyer.token });
    assert.equal(detail.body.data.roomId, sessionId);
    assert.equal(detail.body.data.live.roomId, sessionId);
    assert.equal(await roomOf(sessionId), sessionId);

    const first = matchMaker.getLocalRoomById(sessionId);
    assert.ok(first, 'the room is registered under the session id');
    await assert.rejects(createServerRoom('live_shopping', { sessionId }), /already has a room/);
    assert.equal(matchMaker.getLocalRoomById(sessionId), first, 'the refused room did not take the id');
    const start = await api('POST', `/api/live-shopping/${sessionId}/start`, { token: seller.token });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    assert.equal(start.body.data.roomId, sessionId);
  });

  it('404 for an unknown session, 409 with its status once the room is gone', async () => {
    const seller = await registerUser('rid');
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const r = await api('POST', `/api/live-shopping/${id}/start`, { token: seller.token });
      assert.equal(r.status, 404, id);
      assert.equal(r.body.code, 'NOT_FOUND');
      await assert.rejects(roomOf(id), (e: { status?: number }) => e.status === 404);
    }
    const created = await api('POST', '/api/live-shopping', { token: seller.token, body: { title: 'Gone' } });
    const { sessionId } = created.body.data as { sessionId: string };
    const end = await api('POST', `/api/live-shopping/${sessionId}/end`, { token: seller.token });
    assert.equal(end.status, 200, JSON.stringify(end.body));
    // Nothing to settle: the room closes by itself.
    await waitFor(() => !matchMaker.getLocalRoomById(sessionId), 5000, 'room closed');
    const again = await api('POST', `/api/live-shopping/${sessionId}/start`, { token: seller.token });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'INVALID_STATE');
    assert.equal(again.body.message, 'Shopping stream is ended');
    const o = await api('POST', `/api/live-shopping/${sessionId}/orders`, {
      token: seller.token,
      body: { productId: randomUUID(), quantity: 1 },
    });
    assert.equal(o.status, 409);
    await assert.rejects(roomOf(sessionId), (e: { status?: number }) => e.status === 409);
  });
});
