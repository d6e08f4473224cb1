import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { hashPassword, verifyPassword } from '../auth/passwords';
import type { AppContext } from '../context';
import { AppError, ErrorCode, notFound } from '../errors';
import { toPublicUser } from '../stores/userStore';
import { parse } from '../validation';
import { authRateLimit, me, ok } from './middleware';

const Credentials = z.object({
  username: z
    .string()
    .trim()
    .min(3)
    .max(32)
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
  password: z.string().min(8).max(128),
});

const Login = z.object({ username: z.string().trim().min(1).max(32), password: z.string().min(1).max(128) });

/** POST /api/auth/register, POST /api/auth/login, GET /api/auth/me */
export function authRoutes(c: AppContext): Router {
  const r = Router();
  const limit = authRateLimit(c);

  r.post('/register', limit, async (req, res) => {
    const { username, password } = parse(Credentials, req.body);
    const user = await c.users.create(
      username,
      await hashPassword(password, c.config.PASSWORD_HASH_COST),
      c.config.SIGNUP_COINS,
    );
    ok(res, { token: c.tokens.sign(user), user: toPublicUser(user) }, 201);
  });

  // An unknown username still pays one scrypt, at the configured cost, so timing does not tell them apart.
  const dummyHash = hashPassword(randomBytes(16).toString('hex'), c.config.PASSWORD_HASH_COST);
  r.post('/login', limit, async (req, res) => {
    const { username, password } = parse(Login, req.body);
    const user = await c.users.findByUsername(username);
    const valid = await verifyPassword(password, user?.passwordHash ?? (await dummyHash));
    // Same message either way: do not reveal which usernames exist.
    if (!user || !valid) {
      throw new AppError(ErrorCode.UNAUTHORIZED, 'Invalid username or password');
    }
    ok(res, { token: c.tokens.sign(user), user: toPublicUser(user) });
  });

  r.get('/me', async (req, res) => {
    const user = await c.users.findById(me(req).id);
    if (!user) throw notFound('User');
    ok(res, { user: toPublicUser(user) });
  });

  return r;
}
