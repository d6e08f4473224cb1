/** The spec's multi-host REST API (/api/multihost). Changes to a session go through its room. */
import { Router } from 'express';
import type { AppContext } from '../context';
import { CreateSessionBody, LayoutBody, SettingsBody, UserTarget } from '../domain/multihost/protocol';
import { invalidState, notFound } from '../errors';
import { createServerRoom } from '../rooms/roomCreation';
import type { MultiHostRoom } from '../rooms/MultiHostRoom';
import { roomCaller } from '../rooms/roomCall';
import { multiHostStore, type SessionRow } from '../stores/multiHostStore';
import { isUuid, pagination, parse } from '../validation';
import { me, ok } from './middleware';

async function sessionOr404(id: string): Promise<SessionRow> {
  const s = isUuid(id) ? await multiHostStore().get(id) : null;
  if (!s) throw notFound('Session');
  return s;
}

/** The room of a session that is still scheduled or live (409 once it ended). */
export async function sessionRoom(id: string): Promise<string> {
  const s = await sessionOr404(id);
  if (!s.roomId || (s.status !== 'scheduled' && s.status !== 'live')) throw invalidState(`Session is ${s.status}`);
  return s.roomId;
}

const sessionRooms = roomCaller<MultiHostRoom>('multihost', 'Session');

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
        roomId: room.roomId,
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
        ? await sessionRooms.call(s.roomId, 'rpcSnapshot').catch(() => null)
        : null;
    if (!live) return ok(res, { ...s, hosts: await multiHostStore().hosts(s.id), live });
    // While the room holds the session, its values are the current ones (the row is the record).
    const l = live as { hosts: unknown; status: string; layout: string };
    ok(res, { ...s, status: l.status, layout: l.layout, hosts: l.hosts, live });
  });

  r.post('/:id/start', async (req, res) =>
    ok(res, await sessionRooms.call(await sessionRoom(String(req.params.id)), 'rpcStart', me(req).id)),
  );

  r.post('/:id/invite', async (req, res) => {
    const { userId } = parse(UserTarget, req.body);
    const target = await c.users.findById(userId);
    if (!target) throw notFound('User');
    ok(
      res,
      await sessionRooms.call(await sessionRoom(String(req.params.id)), 'rpcInvite', me(req).id, {
        id: target.id,
        username: target.username,
      }),
    );
  });

  r.post('/:id/accept', async (req, res) =>
    ok(res, await sessionRooms.call(await sessionRoom(String(req.params.id)), 'rpcAccept', me(req))),
  );
  r.post('/:id/request', async (req, res) =>
    ok(res, await sessionRooms.call(await sessionRoom(String(req.params.id)), 'rpcRequest', me(req))),
  );

  r.post('/:id/approve', async (req, res) => {
    const { userId } = parse(UserTarget, req.body);
    ok(res, await sessionRooms.call(await sessionRoom(String(req.params.id)), 'rpcApprove', me(req).id, userId));
  });

  r.delete('/:id/hosts/:userId', async (req, res) => {
    const target = String(req.params.userId);
    if (!isUuid(target)) throw notFound('Host');
    ok(res, await sessionRooms.call(await sessionRoom(String(req.params.id)), 'rpcRemove', me(req).id, target));
  });

  r.put('/:id/settings', async (req, res) => {
    ok(
      res,
      await sessionRooms.call(
        await sessionRoom(String(req.params.id)),
        'rpcSettings',
        me(req).id,
        parse(SettingsBody, req.body),
      ),
    );
  });

  r.put('/:id/layout', async (req, res) => {
    ok(
      res,
      await sessionRooms.call(
        await sessionRoom(String(req.params.id)),
        'rpcLayout',
        me(req).id,
        parse(LayoutBody, req.body),
      ),
    );
  });

  r.post('/:id/end', async (req, res) =>
    ok(res, await sessionRooms.call(await sessionRoom(String(req.params.id)), 'rpcEnd', me(req).id)),
  );

  return r;
}
