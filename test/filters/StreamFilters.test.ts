import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Room } from '@colyseus/sdk';
import { CATALOG } from '../../src/domain/filters/catalog';
import { CATEGORIES, validateParams } from '../../src/domain/filters/params';
import { orThrow, type Result } from '../../src/domain/result';
import { api, nextMessage, registerUser, registerUsers, sdk, server, type TestUser, waitFor } from '../helpers';

const F = '/api/stream-filters';

/** A rule's refusal: VALIDATION with a message matching `message` (rules answer with a Result, never throw). */
function refused(r: Result<unknown>, message: RegExp): void {
  assert.equal(r.ok, false, 'expected a refusal');
  if (r.ok) return;
  assert.equal(r.error.code, 'VALIDATION');
  assert.match(r.error.message, message);
}
const balanceOf = (u: TestUser) => server().context.wallet.balance(u.id);

async function bySlug(user: TestUser, slug: string) {
  const all = await api('GET', `${F}?limit=100`, { token: user.token });
  const f = all.body.data.filters.find((x: any) => x.slug === slug);
  assert.ok(f, `filter ${slug}`);
  return f as { id: string; price: number; parameters: any[]; category: string };
}

describe('Stream filters', function () {
  this.timeout(30_000);
  const rooms: Room[] = [];
  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => undefined)));
  });

  it('validates parameters against a schema: defaults, unknown keys, types and ranges named', () => {
    const beautyPro = CATALOG.find((f) => f.slug === 'beauty-pro')!;
    const v = orThrow(validateParams(beautyPro.params, { beauty: { skinSmoothing: 80, faceSlimming: 40 } }, 'beauty'));
    assert.equal(v.skinSmoothing, 80);
    assert.equal(v.eyeEnlargement, 15); // default
    refused(
      validateParams(beautyPro.params, { skinSmoothing: 101 }),
      /parameters\.skinSmoothing: must be between 0 and 100/,
    );
    refused(validateParams(beautyPro.params, { skinSmoothing: 'lots' }), /parameters\.skinSmoothing: must be a number/);
    refused(validateParams(beautyPro.params, { glow: 3 }), /parameters\.glow: unknown parameter/);
    const lipstick = CATALOG.find((f) => f.slug === 'lipstick')!;
    assert.equal(
      orThrow(validateParams(lipstick.params, { lipstick: { color: '#AA0000' } }, 'makeup'))['lipstick.color'],
      '#aa0000',
    );
    refused(validateParams(lipstick.params, { 'lipstick.color': 'red' }), /lipstick\.color: must be a colour/);
    refused(validateParams(lipstick.params, { 'lipstick.finish': 'glitter' }), /must be one of matte, gloss, satin/);
  });

  it('seeds the whole catalog the spec lists, every category, with parameter schemas', async () => {
    const u = await registerUser('fc');
    const all = await api('GET', `${F}?limit=100`, { token: u.token });
    assert.equal(all.status, 200);
    assert.ok(all.body.data.total >= CATALOG.length);
    const cats = new Set(all.body.data.filters.map((f: any) => f.category));
    for (const c of CATEGORIES) assert.ok(cats.has(c), `category ${c}`);
    for (const slug of [
      'beauty-pro',
      'lipstick',
      'mask-3d',
      'face-shape',
      'color-vintage',
      'background-blur',
      'background-replace',
      'green-screen',
      'stickers',
      'text-overlay',
      'voice-changer',
    ]) {
      const f = all.body.data.filters.find((x: any) => x.slug === slug);
      assert.ok(f && f.parameters.length > 0, slug);
    }
    const premium = await api('GET', `${F}?tier=premium&limit=100`, { token: u.token });
    assert.ok(premium.body.data.filters.every((f: any) => f.price >= 10 && f.price <= 500 && f.premium));
    const free = await api('GET', `${F}?tier=free&category=beauty`, { token: u.token });
    assert.ok(
      free.body.data.filters.length > 0 &&
        free.body.data.filters.every((f: any) => f.price === 0 && f.category === 'beauty'),
    );
    const byCat = await api('GET', `${F}/category/makeup`, { token: u.token });
    assert.ok(byCat.body.data.filters.every((f: any) => f.category === 'makeup'));
    assert.equal((await api('GET', `${F}/category/perfume`, { token: u.token })).status, 400);
    const featured = await api('GET', `${F}/featured`, { token: u.token });
    assert.ok(featured.body.data.filters.every((f: any) => f.featured));
    const search = await api('GET', `${F}/search?q=smooth`, { token: u.token });
    assert.equal(search.body.data.filters[0].slug, 'skin-smoothing');
    const green = await api('GET', `${F}/search?q=green screen`, { token: u.token });
    assert.equal(green.body.data.filters[0].slug, 'green-screen');
    assert.equal((await api('GET', `${F}/search`, { token: u.token })).status, 400);
  });

  it('unlocks once: concurrent double unlock charges once, a repeat is free, a short balance changes nothing', async () => {
    const u = await registerUser('ul');
    const mask = await bySlug(u, 'mask-3d');
    const before = await balanceOf(u);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        api('POST', `${F}/${mask.id}/unlock`, { token: u.token, body: { idempotencyKey: randomUUID() } }),
      ),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 200, 200, 200, 201]);
    assert.equal(results.filter((r) => r.body.data.charged === mask.price).length, 1);
    assert.equal(await balanceOf(u), before - mask.price);
    const again = await api('POST', `${F}/${mask.id}/unlock`, {
      token: u.token,
      body: { idempotencyKey: randomUUID() },
    });
    assert.deepEqual([again.status, again.body.data.charged, again.body.data.alreadyOwned], [200, 0, true]);
    const unlocked = await api('GET', `${F}/user/unlocked`, { token: u.token });
    assert.deepEqual(
      unlocked.body.data.filters.map((f: any) => f.id),
      [mask.id],
    );

    const poor = await registerUser('poor');
    await server().context.wallet.debit({
      userId: poor.id,
      amount: poor.coins - 5,
      reason: 'test',
      idempotencyKey: randomUUID(),
    });
    const short = await api('POST', `${F}/${mask.id}/unlock`, {
      token: poor.token,
      body: { idempotencyKey: randomUUID() },
    });
    assert.equal(short.status, 409);
    assert.equal(short.body.code, 'INSUFFICIENT_COINS');
    assert.equal(await balanceOf(poor), 5);
    assert.equal((await api('GET', `${F}/user/unlocked`, { token: poor.token })).body.data.filters.length, 0);
    // The key is optional now, but bounded: an overlong one is refused before anything is charged.
    const long = await api('POST', `${F}/${mask.id}/unlock`, {
      token: poor.token,
      body: { idempotencyKey: 'k'.repeat(129) },
    });
    assert.equal(long.status, 400);
    assert.equal(await balanceOf(poor), 5);
  });

  it('applies filters to a live stream: viewers see them in state, validation names the parameter, only owners and hosts', async () => {
    const [host, viewer] = await registerUsers(2, 'ap');
    const start = await api('POST', '/api/webrtc/stream/start', { token: host!.token, body: { title: 'Glam' } });
    const streamId = start.body.data.streamId as string;
    const hostRoom = await sdk(host!).joinById(streamId);
    const viewerRoom = await sdk(viewer!).joinById(streamId);
    rooms.push(hostRoom, viewerRoom);
    const pro = await bySlug(host!, 'beauty-pro');
    const lipstick = await bySlug(host!, 'lipstick');

    const notOwned = await api('POST', `${F}/${pro.id}/apply`, {
      token: host!.token,
      body: { streamId, parameters: {} },
    });
    assert.equal(notOwned.status, 403);
    await api('POST', `${F}/${pro.id}/unlock`, { token: host!.token, body: { idempotencyKey: randomUUID() } });

    const applied = nextMessage(viewerRoom, 'stream-filter:applied');
    const res = await api('POST', `${F}/${pro.id}/apply`, {
      token: host!.token,
      body: { streamId, parameters: { beauty: { skinSmoothing: 80, faceSlimming: 40, eyeEnlargement: 30 } } },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.parameters.skinSmoothing, 80);
    assert.equal(res.body.data.parameters.noseSlimming, 10);
    const event = await applied;
    assert.deepEqual([event.userId, event.filterId, event.category], [host!.id, pro.id, 'beauty']);
    const lip = await api('POST', `${F}/${lipstick.id}/apply`, {
      token: host!.token,
      body: { streamId, parameters: { 'lipstick.color': '#ff0055' } },
    });
    assert.equal(lip.status, 200);
    await waitFor(() => viewerRoom.state.filters.get(host!.id)?.byCategory.size === 2, 3000, 'two filters in state');
    const active = viewerRoom.state.filters.get(host!.id).byCategory;
    assert.equal(JSON.parse(active.get('beauty').params).skinSmoothing, 80);
    assert.equal(JSON.parse(active.get('makeup').params)['lipstick.color'], '#ff0055');

    for (const [parameters, pattern] of [
      [{ skinSmoothing: 150 }, /skinSmoothing/],
      [{ skinSmoothing: 'high' }, /skinSmoothing/],
      [{ sparkle: 1 }, /sparkle/],
    ] as const) {
      const bad = await api('POST', `${F}/${pro.id}/apply`, { token: host!.token, body: { streamId, parameters } });
      assert.equal(bad.status, 400);
      assert.match(bad.body.message ?? '', pattern);
    }
    const free = await bySlug(viewer!, 'background-blur');
    const notHost = await api('POST', `${F}/${free.id}/apply`, {
      token: viewer!.token,
      body: { streamId, parameters: {} },
    });
    assert.equal(notHost.status, 403);
    const noStream = await api('POST', `${F}/${free.id}/apply`, {
      token: viewer!.token,
      body: { streamId: 'nope', parameters: {} },
    });
    assert.equal(noStream.status, 404);

    const removed = nextMessage(viewerRoom, 'stream-filter:removed');
    const rm = await api('POST', `${F}/${lipstick.id}/remove`, { token: host!.token, body: { streamId } });
    assert.equal(rm.status, 200);
    assert.equal((await removed).filterId, lipstick.id);
    await waitFor(() => viewerRoom.state.filters.get(host!.id).byCategory.size === 1, 3000, 'removed from state');
    assert.equal(
      (await api('POST', `${F}/${lipstick.id}/remove`, { token: host!.token, body: { streamId } })).status,
      404,
    );

    const trending = await api('GET', `${F}/trending`, { token: viewer!.token });
    const t = trending.body.data.filters.find((f: any) => f.id === pro.id);
    assert.ok(t && t.usesLast24h >= 1 && t.trendingScore > 0);
  });

  it('favourites toggle; ratings stay exact under concurrency and can change', async () => {
    const raters = await registerUsers(20, 'rt');
    const filter = await bySlug(raters[0]!, 'color-film');
    const fav = await api('POST', `${F}/${filter.id}/favorite`, { token: raters[0]!.token });
    assert.equal(fav.body.data.favorited, true);
    assert.deepEqual(
      (await api('GET', `${F}/user/favorites`, { token: raters[0]!.token })).body.data.filters.map((f: any) => f.id),
      [filter.id],
    );
    const unfav = await api('POST', `${F}/${filter.id}/favorite`, { token: raters[0]!.token });
    assert.equal(unfav.body.data.favorited, false);

    const ratings = raters.map((_, i) => (i % 5) + 1); // 1..5 four times: average 3
    await Promise.all(
      raters.map((u, i) => api('POST', `${F}/${filter.id}/rate`, { token: u.token, body: { rating: ratings[i] } })),
    );
    let got = await api('GET', `${F}/${filter.id}`, { token: raters[0]!.token });
    assert.deepEqual(got.body.data.rating, { average: 3, count: 20 });
    // Everyone changes their mind to 5, concurrently: count stays, average follows.
    await Promise.all(
      raters.map((u) => api('POST', `${F}/${filter.id}/rate`, { token: u.token, body: { rating: 5 } })),
    );
    got = await api('GET', `${F}/${filter.id}`, { token: raters[0]!.token });
    assert.deepEqual(got.body.data.rating, { average: 5, count: 20 });
    assert.equal(
      (await api('POST', `${F}/${filter.id}/rate`, { token: raters[0]!.token, body: { rating: 6 } })).status,
      400,
    );
  });

  it('custom filters: built from the vocabulary, private until published, and the creator earns a share', async () => {
    const [creator, buyer, other] = await registerUsers(3, 'cu');
    const bad = await api('POST', `${F}/custom`, {
      token: creator!.token,
      body: { name: 'Mine', category: 'beauty', price: 100, parameters: [{ name: 'laserEyes' }] },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message ?? '', /laserEyes/);
    const badRange = await api('POST', `${F}/custom`, {
      token: creator!.token,
      body: { name: 'Mine', category: 'beauty', price: 100, parameters: [{ name: 'skinSmoothing', default: 300 }] },
    });
    assert.equal(badRange.status, 400);
    const badPrice = await api('POST', `${F}/custom`, {
      token: creator!.token,
      body: { name: 'Mine', category: 'beauty', price: 5, parameters: [{ name: 'skinSmoothing' }] },
    });
    assert.equal(badPrice.status, 400);
    const created = await api('POST', `${F}/custom`, {
      token: creator!.token,
      body: {
        name: 'Porcelain',
        description: 'very smooth',
        category: 'beauty',
        price: 100,
        parameters: [{ name: 'skinSmoothing', default: 90 }, { name: 'brightness' }],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const f = created.body.data;
    assert.deepEqual([f.published, f.creator.id, f.parameters[0].default], [false, creator!.id, 90]);
    assert.equal((await api('GET', `${F}/${f.id}`, { token: other!.token })).status, 404);
    assert.equal((await api('POST', `${F}/${f.id}/publish`, { token: other!.token })).status, 404);
    assert.equal((await api('POST', `${F}/${f.id}/publish`, { token: creator!.token })).status, 200);

    const creatorBefore = await balanceOf(creator!);
    const buyerBefore = await balanceOf(buyer!);
    const unlock = await api('POST', `${F}/${f.id}/unlock`, {
      token: buyer!.token,
      body: { idempotencyKey: randomUUID() },
    });
    assert.equal(unlock.status, 201);
    assert.equal(await balanceOf(buyer!), buyerBefore - 100);
    const share = Math.floor(100 * server().context.config.FILTER_CREATOR_SHARE);
    assert.equal(await balanceOf(creator!), creatorBefore + share);
    const own = await api('POST', `${F}/${f.id}/unlock`, {
      token: creator!.token,
      body: { idempotencyKey: randomUUID() },
    });
    assert.equal(own.body.data.charged, 0);
  });
});
