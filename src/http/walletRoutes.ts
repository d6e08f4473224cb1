import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context';
import { notFound } from '../errors';
import { idempotencyKey, isUuid, parse } from '../validation';
import { me, ok, requireOperator } from './middleware';

/** GET /api/wallet — the caller's balance and recent ledger rows. */
export function walletRoutes(c: AppContext): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    const { limit } = parse(z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }), req.query);
    const userId = me(req).id;
    ok(res, { balance: await c.wallet.balance(userId), ledger: await c.wallet.recent(userId, limit) });
  });
  return r;
}

const Credit = z.object({
  amount: z.number().int().positive().max(1_000_000_000),
  reason: z.string().min(1).max(64).default('operator_credit'),
  reference: z.string().max(200).optional(),
  idempotencyKey,
});

const Notify = z.object({
  userId: z.string().uuid(),
  event: z.string().regex(/^[a-z0-9-]+:[a-z0-9-]+$/, 'event must look like "system:announcement"'),
  payload: z.record(z.string(), z.unknown()).default({}),
});

/** Operator API (HTTP Basic): POST /api/admin/wallets/:userId/credit, POST /api/admin/notify. */
export function adminRoutes(c: AppContext): Router {
  const r = Router();
  r.use(requireOperator(c));
  r.post('/wallets/:userId/credit', async (req, res) => {
    const userId = String(req.params.userId);
    if (!isUuid(userId)) throw notFound('User');
    const body = parse(Credit, req.body);
    const result = await c.wallet.credit({
      userId,
      amount: body.amount,
      reason: body.reason,
      reference: body.reference ?? null,
      idempotencyKey: `admin:${body.idempotencyKey}`,
    });
    ok(res, result, result.replayed ? 200 : 201);
  });

  // Operator announcements (and a way to check inbox delivery across processes).
  r.post('/notify', async (req, res) => {
    const body = parse(Notify, req.body);
    const user = await c.users.findById(body.userId);
    if (!user) throw notFound('User');
    ok(res, await c.notifier.notify(body.userId, body.event, body.payload), 201);
  });
  return r;
}
