import assert from 'node:assert/strict';
import { joinInbox, nextMessage, registerUser, server } from '../helpers';

describe('Inbox room', () => {
  it('delivers a notification to its addressee only, and keeps it for the backlog', async () => {
    const [alice, bob] = await Promise.all([registerUser('in'), registerUser('in')]);
    const { room: aliceRoom } = await joinInbox(alice);
    const { room: bobRoom } = await joinInbox(bob);
    let bobGotIt = false;
    bobRoom.onMessage('test:ping', () => {
      bobGotIt = true;
    });
    const received = nextMessage(aliceRoom, 'test:ping');
    await server().context.notifier.notify(alice.id, 'test:ping', { hello: 'alice' });
    const msg = await received;
    assert.equal(msg.hello, 'alice');
    assert.ok(msg.notificationId);
    // Sentinel: a notification for bob raised after alice's arrives after anything that leaked to bob.
    const sentinel = nextMessage(bobRoom, 'test:sentinel');
    await server().context.notifier.notify(bob.id, 'test:sentinel', {});
    await sentinel;
    assert.equal(bobGotIt, false);
    await aliceRoom.leave();

    const { room: again, backlog } = await joinInbox(alice);
    assert.equal(backlog[0]!.event, 'test:ping');
    assert.deepEqual(backlog[0]!.payload, { hello: 'alice' });
    await again.leave();
    await bobRoom.leave();
  });
});
