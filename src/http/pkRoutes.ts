/** The spec's PK battle REST API (/api/pk-battles) and the gift catalog (/api/gifts). */
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context';
import { CreateBattleBody, PkEvents } from '../domain/pk/protocol';
import { HOLDING_STATUSES, LEADERBOARD_PERIODS } from '../domain/pk/rules';
import { badRequest, notFound } from '../errors';
import { giftCommitter } from '../pk/giftCommitter';
import { battleIdOf, battleReader, battleRoom, giftRoom } from '../rooms/pk/caller';
import { createServerRoom } from '../rooms/roomCreation';
import { type BattleRow, pkStore } from '../stores/pkStore';
import { isUuid, pagination, parse, requestKey } from '../validation';
import { me, ok, requireOperator } from './middleware';

const NewGift = z.object({
  id: z.string().regex(/^[a-z0-9-]{2,40}$/, 'lowercase letters, digits and - (2-40)'),
  name: z.string().min(1).max(60),
  coins: z.number().int().min(1).max(1_000_000),
  animationKey: z.string().min(1).max(60),
});

/**
 * GET /api/admin/pk-battles/integrity?battleId= — the money sums reconciliation compares (operators);
 * GET /api/admin/pk-battles/commits — this process's gift group-commit figures.
 */
export function pkAdminRoutes(c: AppContext): Router {
  const r = Router();
  r.use(requireOperator(c));
  r.get('/integrity', async (req, res) => {
    const { battleId } = parse(z.object({ battleId: z.string().uuid().optional() }), req.query);
    ok(res, await pkStore().integrity(battleId));
  });
  // This process's gift group commit over its last batches (load tests read it).
  r.get('/commits', (_req, res) => ok(res, giftCommitter().stats()));
  return r;
}

/** GET /api/gifts (anyone signed in), POST /api/gifts (operators). */
export function giftRoutes(c: AppContext): Router {
  const r = Router();
  r.get('/', async (_req, res) => ok(res, { gifts: await pkStore().listGifts() }));
  r.post('/', requireOperator(c), async (req, res) => ok(res, await pkStore().addGift(parse(NewGift, req.body)), 201));
  return r;
}

async function battleOr404(id: string): Promise<BattleRow> {
  const battle = await pkStore().getBattle(battleIdOf(id));
  if (!battle) throw notFound('Battle');
  return battle;
}

/**
 * A battle row with its room's current values on top (status, scores, times) while the room holds it,
 * so a client reading `scoreA` mid-battle sees the live score, not the 0 the row keeps until the end.
 * `live` is the room's summary (null once the room is gone).
 */
async function withLive(battle: BattleRow) {
  const live =
    battle.roomId && HOLDING_STATUSES.includes(battle.status)
      ? await battleReader.call(battle.id, 'rpcSnapshot').catch(() => null)
      : null;
  if (!live) return { ...battle, live };
  const iso = (ms: number | null, fallback: string | null) => (ms ? new Date(ms).toISOString() : fallback);
  return {
    ...battle,
    status: live.status,
    scoreA: live.scores[battle.hostA] ?? battle.scoreA,
    scoreB: live.scores[battle.hostB] ?? battle.scoreB,
    startedAt: iso(live.status === 'live' ? live.startsAt : null, battle.startedAt),
    endsAt: iso(live.endsAt, battle.endsAt),
    winnerId: live.winner ?? battle.winnerId,
    live,
  };
}

export function pkRoutes(c: AppContext): Router {
  const r = Router();

  r.post('/', async (req, res) => {
    const user = me(req);
    const body = parse(CreateBattleBody, req.body);
    if (body.opponent === user.id) throw badRequest('opponent: you cannot battle yourself');
    const opponent = await c.users.findById(body.opponent);
    if (!opponent) throw notFound('Opponent');
    const battleId = await pkStore().createBattle(user.id, opponent.id, body.duration, c.config.PK_INVITES_PER_HOUR);
    let roomId: string;
    try {
      roomId = (await createServerRoom('pk_battle', { battleId })).roomId;
    } catch (err) {
      await pkStore().closeUnplayed(battleId, 'cancelled');
      throw err;
    }
    const expiresAt = Date.now() + c.config.PK_INVITE_TIMEOUT_MS;
    const invite = {
      battleId,
      roomId,
      from: { id: user.id, username: user.username },
      duration: body.duration,
      expiresAt,
    };
    await c.notifier.notify(opponent.id, PkEvents.invited, invite);
    await c.notifier.notify(user.id, PkEvents.created, {
      ...invite,
      opponent: { id: opponent.id, username: opponent.username },
    });
    ok(
      res,
      {
        battleId,
        roomId,
        status: 'pending',
        duration: body.duration,
        inviteExpiresAt: expiresAt,
        hosts: [
          { id: user.id, username: user.username },
          { id: opponent.id, username: opponent.username },
        ],
      },
      201,
    );
  });

  /** The invitee declines every pending invitation at once (an answer to invitation spam). */
  r.post('/invitations/decline-all', async (req, res) => {
    const user = me(req);
    const declined: string[] = [];
    for (const id of await pkStore().pendingInvitations(user.id)) {
      const done = await battleReader.call(id, 'rpcDecline', user.id).then(
        () => true,
        () => false, // expired or cancelled meanwhile
      );
      if (done) declined.push(id);
    }
    ok(res, { declined });
  });

  r.get('/active/list', async (req, res) => {
    const { page, limit } = parse(pagination, req.query);
    const { items, total } = await pkStore().activeList(page, limit);
    ok(res, { battles: await Promise.all(items.map(withLive)), page, limit, total });
  });

  r.get('/leaderboard/rankings', async (req, res) => {
    const q = parse(
      z.object({
        period: z.enum(LEADERBOARD_PERIODS as unknown as [string, ...string[]]).default('all-time'),
        limit: z.coerce.number().int().min(1).max(100).default(50),
      }),
      req.query,
    );
    ok(res, await pkStore().rankings(q.period as (typeof LEADERBOARD_PERIODS)[number], me(req).id, q.limit));
  });

  r.get('/user/:userId', async (req, res) => {
    const userId = String(req.params.userId);
    const { page, limit } = parse(pagination, req.query);
    const user = isUuid(userId) ? await c.users.findById(userId) : null;
    if (!user) throw notFound('User');
    const history = await pkStore().userHistory(userId, page, limit);
    ok(res, {
      user: { id: user.id, username: user.username, level: user.level },
      ...history,
      battles: await Promise.all(history.battles.map(withLive)),
      page,
      limit,
    });
  });

  r.get('/:id', async (req, res) => {
    ok(res, await withLive(await battleOr404(String(req.params.id))));
  });

  // The room (id = battle id) answers; when it is gone, the battle's row says 404 or 409 (src/rooms/pk/caller.ts).
  r.post('/:id/accept', async (req, res) => {
    ok(res, await battleRoom.call(battleIdOf(String(req.params.id)), 'rpcAccept', me(req).id));
  });

  r.post('/:id/decline', async (req, res) => {
    ok(res, await battleRoom.call(battleIdOf(String(req.params.id)), 'rpcDecline', me(req).id));
  });

  r.delete('/:id', async (req, res) => {
    ok(res, await battleRoom.call(battleIdOf(String(req.params.id)), 'rpcCancel', me(req).id));
  });

  r.post('/:id/gift', async (req, res) => {
    const id = battleIdOf(String(req.params.id));
    const requestId = requestKey(req.headers['idempotency-key'], req.body);
    const body = { ...(req.body ?? {}), requestId, idempotencyKey: undefined };
    const ack = await giftRoom.call(id, 'rpcGift', me(req), body);
    ok(res, ack, ack.replayed ? 200 : 201);
  });

  return r;
}
