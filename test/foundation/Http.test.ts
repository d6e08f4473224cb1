import assert from 'node:assert/strict';
import { api, operatorHeaders, server } from '../helpers';

describe('HTTP surface', () => {
  it('GET /healthz checks the database and presence', async () => {
    const res = await api('GET', '/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual((res.body as any).checks, { database: 'ok', presence: 'ok', sfu: 'disabled' });
  });

  it('sends security headers, CORS and a request id', async () => {
    const res = await fetch(`${server().url}/healthz`, { headers: { origin: 'http://example.test' } });
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(res.headers.get('access-control-allow-origin'));
    assert.match(res.headers.get('x-request-id') ?? '', /^[\w-]+$/);
  });

  it('unknown /api routes are 404 in the standard shape', async () => {
    const res = await api('GET', '/api/admin/nope', { headers: operatorHeaders() });
    assert.equal(res.status, 404);
    assert.equal(res.body.success, false);
  });

  it('the monitor needs operator credentials', async () => {
    assert.equal((await fetch(`${server().url}/monitor/`)).status, 401);
    const ok = await fetch(`${server().url}/monitor/`, { headers: operatorHeaders() });
    assert.equal(ok.status, 200);
  });
});
