import assert from 'node:assert/strict';
import { Client } from 'pg';
import { isDatabaseUnavailable } from '../../src/db/dataSource';
import { api, registerUser, server } from '../helpers';

/** Real errors from `pg`, not hand-made objects: what the driver throws when the database goes away. */
async function refusedConnection(): Promise<unknown> {
  const client = new Client({
    host: '127.0.0.1',
    port: 1,
    user: 'nobody',
    database: 'none',
    connectionTimeoutMillis: 2000,
  });
  return client.connect().then(
    () => assert.fail('port 1 accepted a connection'),
    (err: unknown) => err,
  );
}

/** A query on a connection the server terminates (what a database restart does to every open connection). */
async function terminatedConnection(): Promise<unknown> {
  const ds = server().context.ds;
  // A connection of its own (not the server's pool, which would hand the dead connection to the next query).
  const client = new Client({ connectionString: (ds.options as { url: string }).url });
  client.on('error', () => undefined); // the termination notice arrives as an 'error' event too
  await client.connect();
  try {
    const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
    await ds.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    return await client.query('SELECT 1').then(
      () => assert.fail('a terminated connection answered'),
      (err: unknown) => err,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('Database unavailable → 503, not 500', () => {
  it('recognises a refused and a terminated connection, and not a failed query', async () => {
    assert.equal(isDatabaseUnavailable(await refusedConnection()), true, 'refused connection');
    assert.equal(isDatabaseUnavailable(await terminatedConnection()), true, 'terminated connection');
    const syntax = await server()
      .context.ds.query('SELEC 1')
      .catch((err: unknown) => err);
    assert.equal(isDatabaseUnavailable(syntax), false, 'a bad query is a bug (500), not an outage');
  });

  it('an HTTP request that meets a dropped database connection answers 503 UNAVAILABLE and may be retried', async () => {
    const u = await registerUser('dbdown');
    const wallet = server().context.wallet;
    const outage = await terminatedConnection();
    const original = wallet.balance;
    wallet.balance = async () => {
      throw outage;
    };
    try {
      const res = await api('GET', '/api/wallet', { token: u.token });
      assert.equal(res.status, 503);
      assert.equal(res.body.success, false);
      assert.equal(res.body.code, 'UNAVAILABLE');
      assert.match(String(res.body.message), /database is unavailable/);
    } finally {
      wallet.balance = original;
    }
    const again = await api('GET', '/api/wallet', { token: u.token });
    assert.equal(again.status, 200, 'the retry succeeds once the database is back');
  });
});
