/** The spec's stream filter API (/api/stream-filters). */
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context';
import { vocabulary } from '../domain/filters/catalog';
import { CATEGORIES, type ParamSpec, validateParams } from '../domain/filters/params';
import { orThrow } from '../domain/result';
import { badRequest, forbidden } from '../errors';
import { roomCaller, STREAM_ROOMS } from '../rooms/roomCall';
import type { HostFilterRoom } from '../rooms/streamHost';
import { filterStore } from '../stores/filterStore';
import { isUuid, pagination, parse, requestKey } from '../validation';
import { me, ok } from './middleware';

/** Any room that hosts a stream with filters (live stream, battle, session, shopping stream). */
const streamRoom = roomCaller<HostFilterRoom>(STREAM_ROOMS, 'Stream');

const Limit = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });
const ApplyBody = z.object({
  streamId: z.string().min(1).max(64),
  parameters: z.record(z.string(), z.unknown()).default({}),
});
const RemoveBody = z.object({ streamId: z.string().min(1).max(64) });
const CustomBody = z.object({
  name: z.string().trim().min(1).max(80),
  description: z.string().trim().max(500).default(''),
  category: z.enum(CATEGORIES),
  /** Parameters from the platform vocabulary of that category, optionally with another default. */
  parameters: z
    .array(
      z.object({ name: z.string().min(1).max(60), default: z.union([z.number(), z.boolean(), z.string()]).optional() }),
    )
    .min(1)
    .max(12),
  price: z
    .number()
    .int()
    .refine((p) => p === 0 || (p >= 10 && p <= 500), 'must be 0 (free) or 10-500 coins'),
});

function filterId(raw: string): string {
  if (!isUuid(raw)) throw badRequest('id: not a filter id');
  return raw;
}

/** Turns a custom filter's parameter picks into full specs, checked against the vocabulary. */
function customParams(
  category: string,
  picks: Array<{ name: string; default?: number | boolean | string }>,
): ParamSpec[] {
  const vocab = vocabulary().get(category) ?? new Map<string, ParamSpec>();
  const seen = new Set<string>();
  return picks.map((p, i) => {
    const spec = vocab.get(p.name);
    if (!spec)
      throw badRequest(
        `parameters.${i}.name: "${p.name}" is not a ${category} parameter (known: ${[...vocab.keys()].join(', ')})`,
      );
    if (seen.has(p.name)) throw badRequest(`parameters.${i}.name: "${p.name}" listed twice`);
    seen.add(p.name);
    if (p.default === undefined) return spec;
    const checked = validateParams([spec], { [p.name]: p.default });
    if (!checked.ok) {
      throw badRequest(`parameters.${i}.default: ${checked.error.message.replace(/^parameters\.[^:]+: /, '')}`);
    }
    return { ...spec, default: checked.value[p.name]! } as ParamSpec;
  });
}

export function filterRoutes(c: AppContext): Router {
  const r = Router();
  const store = () => filterStore();

  r.get('/', async (req, res) => {
    const q = parse(
      pagination.extend({ category: z.enum(CATEGORIES).optional(), tier: z.enum(['free', 'premium']).optional() }),
      req.query,
    );
    ok(res, { ...(await store().list(q)), page: q.page, limit: q.limit });
  });
  r.get('/trending', async (req, res) => ok(res, { filters: await store().trending(parse(Limit, req.query).limit) }));
  r.get('/featured', async (req, res) => ok(res, { filters: await store().featured(parse(Limit, req.query).limit) }));
  r.get('/search', async (req, res) => {
    const q = parse(Limit.extend({ q: z.string().trim().min(1).max(100) }), req.query);
    ok(res, { query: q.q, filters: await store().search(q.q, q.limit) });
  });
  r.get('/category/:cat', async (req, res) => {
    const { cat } = parse(z.object({ cat: z.enum(CATEGORIES) }), req.params);
    const q = parse(pagination, req.query);
    ok(res, { ...(await store().list({ ...q, category: cat })), category: cat, page: q.page, limit: q.limit });
  });
  r.get('/user/favorites', async (req, res) => ok(res, { filters: await store().favorites(me(req).id) }));
  r.get('/user/unlocked', async (req, res) => ok(res, { filters: await store().unlocked(me(req).id) }));
  r.get('/user/created', async (req, res) => ok(res, { filters: await store().created(me(req).id) }));

  r.post('/custom', async (req, res) => {
    const body = parse(CustomBody, req.body);
    const filter = await store().createCustom({
      creatorId: me(req).id,
      name: body.name,
      category: body.category,
      description: body.description,
      params: customParams(body.category, body.parameters),
      price: body.price,
    });
    ok(res, filter, 201);
  });

  r.get('/:id', async (req, res) => ok(res, await store().visible(filterId(String(req.params.id)), me(req).id)));

  r.post('/:id/publish', async (req, res) =>
    ok(res, await store().publish(me(req).id, filterId(String(req.params.id)))),
  );

  r.post('/:id/unlock', async (req, res) => {
    // Optional: without one the unlock is still charged once per user and filter. With one, a retry
    // with the same key gets the first answer back with `replayed: true` and HTTP 200, charged once.
    const key = requestKey(req.headers['idempotency-key'], req.body);
    const id = filterId(String(req.params.id));
    const { result, replayed } = await store().unlock(me(req).id, id, key, c.config.FILTER_CREATOR_SHARE);
    ok(res, { ...result, idempotencyKey: key, replayed }, result.alreadyOwned || replayed ? 200 : 201);
  });

  r.post('/:id/apply', async (req, res) => {
    const user = me(req);
    const filter = await store().visible(filterId(String(req.params.id)), user.id);
    const body = parse(ApplyBody, req.body);
    if (!(await store().owns(user.id, filter))) throw forbidden('Unlock this premium filter before applying it');
    const params = orThrow(validateParams(filter.parameters, body.parameters, filter.category));
    const applied = { filterId: filter.id, name: filter.name, category: filter.category, params };
    await streamRoom.call(body.streamId, 'rpcStreamFilter', { kind: 'apply', userId: user.id, filter: applied });
    await store().recordUse(filter.id, user.id, body.streamId);
    ok(res, {
      streamId: body.streamId,
      filterId: filter.id,
      name: filter.name,
      category: filter.category,
      parameters: params,
    });
  });

  r.post('/:id/remove', async (req, res) => {
    const id = filterId(String(req.params.id));
    const { streamId } = parse(RemoveBody, req.body);
    await streamRoom.call(streamId, 'rpcStreamFilter', { kind: 'remove', userId: me(req).id, filterId: id });
    ok(res, { streamId, filterId: id, removed: true });
  });

  r.post('/:id/favorite', async (req, res) => {
    const id = filterId(String(req.params.id));
    await store().visible(id, me(req).id);
    ok(res, { filterId: id, favorited: await store().toggleFavorite(me(req).id, id) });
  });

  r.post('/:id/rate', async (req, res) => {
    const id = filterId(String(req.params.id));
    const { rating } = parse(z.object({ rating: z.number().int().min(1).max(5) }), req.body);
    await store().visible(id, me(req).id);
    ok(res, { filterId: id, ...(await store().rate(me(req).id, id, rating)) });
  });

  return r;
}
