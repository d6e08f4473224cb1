/** The spec's multi-host REST API (/api/multihost). Changes to a session go through its room. */
import { type Request, Router } from 'express';
import type { AppContext } from '../context';
import { CreateSessionBody, LayoutBody, SettingsBody, UserTarget } from '../domain/multihost/protocol';
import { type AppError, invalidState, notFound } from '../errors';
import { createServerRoom } from '../rooms/roomCreation';
import type { MultiHostRoom } from '../rooms/MultiHostRoom';
import { roomCaller } from '../rooms/roomCall';
import { multiHostStore, type SessionRow } from '../stores/multiHostStore';
import type { CallCommand } from '../rooms/multihost/sessionState';
import { isUuid, pagination, parse } from '../validation';
import { me, ok } from './middleware';

async function sessionOr404(id: string): Promise<SessionRow> {
  const s = isUuid(id) ? await multiHostStore().get(id) : null;
  if (!s) throw notFound('Session');
  return s;
}

/**
 * A session's room id is the session id. When no room has it, the row says why, once:
 * 404 no such session; 409 it is no longer scheduled or live (or never got a room); 404 its room is gone.
 */
async function sessionGone(id: string): Promise<AppError> {
  const s = isUuid(id) ? await multiHostStore().get(id) : null;
  if (!s) return notFound('Session');
  if (!s.roomId || (s.status !== 'scheduled' && s.status !== 'live')) return invalidState(`Session is ${s.status}`);
  return notFound('Session');
}

const sessionRooms = roomCaller<MultiHostRoom>('multihost', 'Session', sessionGone);
const sessionId = (req: Request) => String(req.params.id);

export function multihostRoutes(c: AppContext): Router {
  const r = Router();

  r.post('/', async (req, res) => {
    const user = me(req);
    const body = parse(CreateSessionBody, req.body);
    const sessionId = await multiHostStore().create({ ...body, primaryHost: user.id });
    const room = await createServerRoom('multihost', { sessionId });
    ok(
      res,
      {
        sessionId,
        roomId: room.roomId, // the session id
        status: 'scheduled',
        title: body.title,
        type: body.type,
        layout: body.layout,
        maxHosts: body.maxHosts,
      },
      201,
    );
  });

  r.get('/active/list', async (req, res) => {
    const { page, limit } = parse(pagination, req.query);
    const { items, total } = await multiHostStore().activeList(page, limit);
    ok(res, { sessions: items, page, limit, total });
  });

  r.get('/user/:userId', async (req, res) => {
    const userId = String(req.params.userId);
    if (!isUuid(userId)) throw notFound('User');
    const { page, limit } = parse(pagination, req.query);
    ok(res, { sessions: await multiHostStore().userSessions(userId, page, limit), page, limit });
  });

  r.get('/:id', async (req, res) => {
    const s = await sessionOr404(String(req.params.id));
    const live =
      s.roomId && (s.status === 'scheduled' || s.status === 'live')
        ? await sessionRooms.call(s.id, 'rpcSnapshot').catch(() => null)
        : null;
    if (!live) return ok(res, { ...s, hosts: await multiHostStore().hosts(s.id), live });
    // While the room holds the session, its values are the current ones (the row is the record).
    const l = live as { hosts: unknown; status: string; layout: string };
    ok(res, { ...s, status: l.status, layout: l.layout, hosts: l.hosts, live });
  });

  /** Every change goes to the session's room as one model command (src/domain/multihost/session.ts). */
  const command = (req: Request, c: CallCommand) => sessionRooms.call(sessionId(req), 'rpcCommand', c);
  const self = (req: Request) => ({ id: me(req).id, username: me(req).username });

  r.post('/:id/start', async (req, res) => ok(res, await command(req, { type: 'start', actor: me(req).id })));

  r.post('/:id/invite', async (req, res) => {
    const { userId } = parse(UserTarget, req.body);
    const target = await c.users.findById(userId);
    if (!target) throw notFound('User');
    const invited = { id: target.id, username: target.username };
    ok(res, await command(req, { type: 'invite', actor: me(req).id, target: invited }));
  });

  r.post('/:id/accept', async (req, res) => ok(res, await command(req, { type: 'accept', user: self(req) })));
  r.post('/:id/decline', async (req, res) => ok(res, await command(req, { type: 'decline', userId: me(req).id })));
  r.post('/:id/request', async (req, res) => ok(res, await command(req, { type: 'request', user: self(req) })));

  r.post('/:id/approve', async (req, res) => {
    const { userId } = parse(UserTarget, req.body);
    ok(res, await command(req, { type: 'approve', actor: me(req).id, target: userId }));
  });

  r.post('/:id/deny', async (req, res) => {
    const { userId } = parse(UserTarget, req.body);
    ok(res, await command(req, { type: 'deny', actor: me(req).id, target: userId }));
  });

  /** A host removes another (by role) or leaves the stage themselves. */
  r.delete('/:id/hosts/:userId', async (req, res) => {
    const target = String(req.params.userId);
    if (!isUuid(target)) throw notFound('Host');
    ok(res, await command(req, { type: 'remove', actor: me(req).id, target }));
  });

  r.put('/:id/settings', async (req, res) => {
    const { userId, ...change } = parse(SettingsBody, req.body);
    const actor = me(req).id;
    ok(res, await command(req, { type: 'settings', actor, target: userId ?? actor, change }));
  });

  r.put('/:id/layout', async (req, res) => {
    const { layout, focusUserId } = parse(LayoutBody, req.body);
    ok(res, await command(req, { type: 'layout', actor: me(req).id, layout, focusUserId }));
  });

  r.post('/:id/end', async (req, res) => ok(res, await command(req, { type: 'end', actor: me(req).id })));

  return r;
}
