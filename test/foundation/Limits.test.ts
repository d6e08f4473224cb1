import assert from 'node:assert/strict';
import { startServerProcess } from '../../loadtest/lib/serverProcess';
import { api, joinInbox, nextMessage, registerUser, server, testEnv } from '../helpers';

describe('Limits', function () {
  this.timeout(60_000);

  it('a client flooding room messages is disconnected; the others carry on', async () => {
    const [flooder, calm] = await Promise.all([registerUser('flood'), registerUser('calm')]);
    const { room: bad } = await joinInbox(flooder);
    const { room: good } = await joinInbox(calm);
    const closed = new Promise<number>((resolve) => bad.onLeave((code) => resolve(code)));
    for (let i = 0; i < server().context.config.ROOM_MAX_MESSAGES_PER_SECOND * 3; i++)
      bad.send('inbox:read', { ids: [] });
    assert.ok((await closed) >= 1000);
    const backlog = nextMessage(good, 'inbox:backlog');
    good.send('inbox:sync', {});
    assert.ok(Array.isArray((await backlog).notifications));
    await good.leave();
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
