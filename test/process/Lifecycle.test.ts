/**
 * Tests that need whole server processes: graceful shutdown on SIGTERM, and (with
 * REDIS_URL) two processes forming one cluster. Spawned servers share the test run's
 * database and schema, so a user registered on one is valid on every other.
 */
import assert from 'node:assert/strict';
import { Client } from '@colyseus/sdk';
import { startServerProcess, type ServerProcess } from '../../loadtest/lib/serverProcess';
import { api, config, joinInbox, nextMessage, registerUser, server, testEnv, waitFor } from '../helpers';

function sharedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = testEnv();
  const ds = server().context.ds.options as { url?: string };
  return {
    JWT_SECRET: env.JWT_SECRET!,
    DATABASE_URL: ds.url!,
    DATABASE_SCHEMA: config().DATABASE_SCHEMA,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

describe('Server process lifecycle', function () {
  this.timeout(90_000);
  const started: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  });

  it('SIGTERM with rooms open disposes them and exits 0', async () => {
    const proc = await startServerProcess(sharedEnv({ REDIS_URL: '' }));
    started.push(proc);
    const user = await registerUser('term', proc.url);
    const client = new Client(proc.url);
    client.auth.token = user.token;
    const room = await client.create('counter');
    room.send('inc', { by: 2 });
    await waitFor(() => room.state.count === 2, 5000, 'count synced');
    const left = new Promise<number>((resolve) => room.onLeave((code) => resolve(code)));
    started.splice(0);
    const exit = proc.stop();
    assert.equal(await exit, 0);
    assert.ok((await left) >= 1000, 'client was disconnected by the server');
  });

  it('a viewer sending a 130-character unknown message type is closed with 4400; the process lives', async () => {
    const proc = await startServerProcess(sharedEnv({ REDIS_URL: '' }));
    started.push(proc);
    const [host, viewer] = [await registerUser('host', proc.url), await registerUser('fuzz', proc.url)];
    const stream = await api('POST', '/api/webrtc/stream/start', {
      token: host.token,
      body: { title: 'Crash' },
      baseUrl: proc.url,
    });
    assert.equal(stream.status, 201, JSON.stringify(stream.body));
    const client = new Client(proc.url);
    client.auth.token = viewer.token;
    const room = await client.joinById(stream.body.data.roomId);
    room.onMessage('*', () => undefined);
    const left = new Promise<number>((resolve) => room.onLeave((code) => resolve(code)));
    room.send('y'.repeat(130), {});
    assert.equal(await left, 4400);
    assert.equal((await fetch(`${proc.url}/healthz`)).status, 200, 'the server is still up');
    const again = await client.joinById(stream.body.data.roomId);
    await again.leave();
  });
});

describe('Two processes on Redis', function () {
  this.timeout(90_000);
  before(function () {
    // A fresh machine may have no Redis: this suite then runs only in CI (.ci/run sets REDIS_URL, and fails if Redis is down).
    if (!process.env.REDIS_URL) this.skip();
  });

  it('a room created on A is joined through B, and an inbox notification raised on A reaches a client on B', async () => {
    const a = await startServerProcess(sharedEnv({ REDIS_URL: process.env.REDIS_URL! }));
    const b = await startServerProcess(sharedEnv({ REDIS_URL: process.env.REDIS_URL! }));
    try {
      // PUBLIC_ADDRESS per process is what lets B hand out seats on A.
      const [alice, bob] = await Promise.all([registerUser('ra', a.url), registerUser('rb', b.url)]);
      const onA = new Client(a.url);
      onA.auth.token = alice.token;
      const roomOnA = await onA.create('counter');

      const viaB = new Client(b.url);
      viaB.auth.token = bob.token;
      const joined = await viaB.joinById(roomOnA.roomId);
      joined.send('inc', { by: 5 });
      await waitFor(() => roomOnA.state.count === 5 && joined.state.count === 5, 5000, 'both clients see the count');
      assert.equal(joined.state.clients, 2);

      const { room: inbox } = await joinInbox(bob, b.url);
      const got = nextMessage(inbox, 'system:announcement');
      const sent = await api('POST', '/api/admin/notify', {
        baseUrl: a.url,
        headers: { authorization: a.operatorAuth },
        body: { userId: bob.id, event: 'system:announcement', payload: { text: 'hello from A' } },
      });
      assert.equal(sent.status, 201);
      assert.equal((await got).text, 'hello from A');
      await Promise.all([roomOnA.leave(), joined.leave(), inbox.leave()]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
