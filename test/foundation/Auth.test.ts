import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { api, config, joinInbox, registerUser, sdk } from '../helpers';

describe('Auth', () => {
  it('registers, logs in, reads /me and joins a room with the token', async () => {
    const u = await registerUser('auth');
    assert.equal(u.coins, config().SIGNUP_COINS);
    const login = await api('POST', '/api/auth/login', {
      body: { username: u.username.toUpperCase(), password: 'password-123' },
    });
    assert.equal(login.status, 200);
    assert.equal(login.body.success, true);
    assert.equal(login.body.data.user.id, u.id);
    const me = await api('GET', '/api/auth/me', { token: login.body.data.token });
    assert.equal(me.status, 200);
    assert.deepEqual(
      { username: me.body.data.user.username, coins: me.body.data.user.coins, level: me.body.data.user.level },
      { username: u.username, coins: config().SIGNUP_COINS, level: 1 },
    );
    const { room, backlog, balance } = await joinInbox(u);
    assert.ok(Array.isArray(backlog));
    assert.equal(balance, config().SIGNUP_COINS);
    await room.leave();
  });

  it('refuses duplicate usernames (case-insensitive) with 409', async () => {
    const u = await registerUser('dup');
    const res = await api('POST', '/api/auth/register', {
      body: { username: u.username.toUpperCase(), password: 'password-123' },
    });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, { success: false, message: 'Username is already taken', code: 'CONFLICT' });
  });

  it('rejects bad bodies with 400 naming the field', async () => {
    const res = await api('POST', '/api/auth/register', { body: { username: 'ab', password: 'password-123' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.success, false);
    assert.match(res.body.message ?? '', /username/);
    const res2 = await api('POST', '/api/auth/register', { body: '{not json' });
    assert.equal(res2.status, 400);
  });

  it('refuses a wrong password with 401', async () => {
    const u = await registerUser('pw');
    const res = await api('POST', '/api/auth/login', { body: { username: u.username, password: 'wrong-password' } });
    assert.equal(res.status, 401);
    assert.equal(res.body.success, false);
  });

  it('answers 401 on HTTP and rejects the join for missing, forged and expired tokens', async () => {
    const u = await registerUser('tok');
    const forged = jwt.sign({ name: u.username }, 'not-the-secret-at-all', { subject: u.id, expiresIn: 60 });
    const expired = jwt.sign({ name: u.username }, config().jwtSecret, { subject: u.id, expiresIn: -10 });
    for (const token of [undefined, 'garbage', forged, expired]) {
      const res = await api('GET', '/api/wallet', { token });
      assert.equal(res.status, 401, `token ${token}`);
      assert.equal(res.body.success, false);
      assert.ok(res.body.message);
      const client = sdk();
      if (token) client.auth.token = token;
      await assert.rejects(client.joinOrCreate('inbox'), (err: { code?: number }) => err.code === 401);
    }
  });
});
