/**
 * The one group committer (src/stores/groupCommit.ts) on a real PostgreSQL table, and the gift
 * path that used it to fail every gift in a window when one gift's ledger key overflowed.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { badRequest } from '../../src/errors';
import { GroupCommitter } from '../../src/stores/groupCommit';
import { ledgerKey } from '../../src/stores/walletStore';
import { api, nextMessage, registerUsers, sdk, server, waitFor } from '../helpers';

describe('Group commit', function () {
  this.timeout(30_000);
  const table = `gc_probe_${randomBytes(4).toString('hex')}`;
  const ds = () => server().context.ds;

  before(async () => {
    await ds().query(`CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL CHECK (v >= 0))`);
  });
  after(async () => {
    await ds().query(`DROP TABLE IF EXISTS ${table}`);
  });

  function probe(opts: { maxBatch?: number; failFirstBatchWith?: string } = {}) {
    const calls = { batches: 0, ones: 0 };
    let fail = opts.failFirstBatchWith;
    const gc = new GroupCommitter<{ id: number; v: number }, number>({
      name: 'probe',
      windowMs: 20,
      maxBatch: opts.maxBatch ?? 1000,
      validate: (i) => {
        if (!Number.isInteger(i.id)) throw badRequest('id: integer');
      },
      commitBatch: async (items) => {
        calls.batches++;
        if (fail) {
          const code = fail;
          fail = undefined;
          throw Object.assign(new Error('could not serialize access'), { code });
        }
        await ds().transaction(async (m) => {
          const values = items.map((_, k) => `($${2 * k + 1}, $${2 * k + 2})`).join(', ');
          await m.query(
            `INSERT INTO ${table} (id, v) VALUES ${values}`,
            items.flatMap((i) => [i.id, i.v]),
          );
        });
        return items.map((i) => i.id);
      },
      commitOne: async (item) => {
        calls.ones++;
        await ds().query(`INSERT INTO ${table} (id, v) VALUES ($1, $2)`, [item.id, item.v]);
        return item.id;
      },
    });
    return { gc, calls };
  }

  it('one poisoned item plus 50 good ones in the same window: the 50 commit, only the poisoned one is refused', async () => {
    const { gc, calls } = probe();
    const good = Array.from({ length: 50 }, (_, k) => ({ id: 1000 + k, v: k }));
    const poisoned = { id: 999, v: -1 }; // breaks the CHECK: the whole batch statement fails
    const results = await Promise.allSettled(
      [...good.slice(0, 25), poisoned, ...good.slice(25)].map((i) => gc.submit(i)),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 50);
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(refused.length, 1);
    assert.equal(calls.batches, 1, 'all 51 arrived in one window');
    assert.equal(calls.ones, 51, 'then each was committed on its own');
    const [{ n }] = await ds().query(`SELECT count(*)::int AS n FROM ${table} WHERE id >= 1000 AND id < 1050`);
    assert.equal(n, 50);
  });

  it('an invalid item is refused at submit and never enters a batch', async () => {
    const { gc, calls } = probe();
    await assert.rejects(gc.submit({ id: 1.5, v: 1 }), /id: integer/);
    assert.equal(await gc.submit({ id: 2000, v: 1 }), 2000);
    assert.equal(calls.batches, 1);
    assert.equal(calls.ones, 0);
  });

  it('a serialization failure retries the batch; batches are bounded by maxBatch', async () => {
    const { gc, calls } = probe({ maxBatch: 20, failFirstBatchWith: '40001' });
    const items = Array.from({ length: 45 }, (_, k) => ({ id: 3000 + k, v: 1 }));
    const ids = await Promise.all(items.map((i) => gc.submit(i)));
    assert.deepEqual(
      ids,
      items.map((i) => i.id),
    );
    assert.equal(calls.batches, 4, '20 (failed once, retried) + 20 + 5');
    assert.equal(calls.ones, 0);
  });

  it('ledger keys never exceed the column, whatever a client sends', () => {
    const long = 'x'.repeat(128);
    const k = ledgerKey('pk-earn', randomUUID(), randomUUID(), long);
    assert.ok(k.length <= 200, String(k.length));
    assert.notEqual(k, ledgerKey('pk-earn', randomUUID(), randomUUID(), long));
    assert.equal(ledgerKey('pk-gift', 'b', 'r'), 'pk-gift:b:r');
  });

  it('a gift whose requestId is 128 characters does not fail the 50 gifts in its window', async () => {
    const [a, b, ...fans] = await registerUsers(5, 'gc');
    const created = await api('POST', '/api/pk-battles', { token: a!.token, body: { opponent: b!.id, duration: 5 } });
    const { battleId, roomId } = created.body.data;
    const roomA = await sdk(a!).joinById(roomId);
    const roomB = await sdk(b!).joinById(roomId);
    for (const r of [roomA, roomB]) r.onMessage('*', () => undefined);
    const started = nextMessage(roomA, 'pk-battle:started');
    assert.equal((await api('POST', `/api/pk-battles/${battleId}/accept`, { token: b!.token })).status, 200);
    await started;
    const gift = (k: number, requestId: string) =>
      api('POST', `/api/pk-battles/${battleId}/gift`, {
        token: fans[k % fans.length]!.token,
        body: { giftId: 'heart', to: k % 2 ? a!.id : b!.id, count: 1, requestId },
      });
    const all = await Promise.all([
      gift(0, 'p'.repeat(128)),
      ...Array.from({ length: 50 }, (_, k) => gift(k + 1, `good-${k}-${randomUUID()}`)),
    ]);
    assert.deepEqual(
      all.map((r) => r.status),
      Array(51).fill(201),
      JSON.stringify(all.filter((r) => r.status !== 201).map((r) => r.body)),
    );
    await waitFor(() => roomA.state.hostA.score + roomA.state.hostB.score === 51 * 5, 5000, 'scores');
    await Promise.all([roomA.leave(), roomB.leave()]);
  });
});
