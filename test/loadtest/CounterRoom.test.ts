/**
 * The load tests' baseline room must be what a bare Colyseus room does for a gift storm's job:
 * one number in schema state, synced by patch at the asked rate, and no broadcast per message
 * (a broadcast per message at 1,000 clients x 200/s saturates `ws` and makes every ratio meaningless).
 */
import assert from 'node:assert/strict';
import { matchMaker } from '@colyseus/core';
import { registerUsers, sdk, waitFor } from '../helpers';

describe('Load-test baseline room (counter)', function () {
  this.timeout(20_000);

  it('carries increments in the state patch only, at the patch rate asked for', async () => {
    const [a, b] = await registerUsers(2, 'base');
    const roomA = await sdk(a).create('counter', { patchRateMs: 40 });
    const roomB = await sdk(b).joinById(roomA.roomId);
    const messages: string[] = [];
    for (const r of [roomA, roomB]) r.onMessage('*', (type: string | number) => messages.push(String(type)));
    assert.equal(matchMaker.getLocalRoomById(roomA.roomId)?.patchRate, 40);
    for (let i = 0; i < 5; i++) roomA.send('inc', { by: 1 });
    // A message per increment would be sent as each inc is handled, so it would reach B (same socket,
    // in order) before the patch that shows all five.
    await waitFor(() => roomB.state.count === 5, 5000, 'count 5 on the other client');
    await waitFor(() => roomA.state.count === 5, 5000, 'count 5 on the sender');
    assert.deepEqual(messages, []);
    await Promise.all([roomA.leave(), roomB.leave()]);
  });
});
