/**
 * docs/protocol.md is checked against the code so it cannot drift: every message/event name of the
 * `as const` maps is documented and every documented name exists; every field of the zod schemas is
 * named in its row; stated patch rates are the rooms' own; event payloads carry exactly the fields
 * the docs list.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { CreateSessionBody, LayoutBody, MhEvents, MhMessages, SettingsBody } from '../../src/domain/multihost/protocol';
import { CreateBattleBody, GiftBody, PkEvents, PkMessages } from '../../src/domain/pk/protocol';
import {
  InteractionBody,
  OrderBody,
  ProductBody,
  ShopEvents,
  ShopMessages,
  StreamProductBody,
  StreamProductPatch,
  VoucherBody,
  VoucherCheckBody,
} from '../../src/domain/shopping/protocol';
import { ErrorCode } from '../../src/errors';
import { InboxEvents } from '../../src/rooms/InboxRoom';
import { PATCH_MS as SHOP_PATCH_MS } from '../../src/rooms/LiveShoppingRoom';
import { LiveStreamEvents } from '../../src/rooms/LiveStreamRoom';
import { PATCH_MS as PK_PATCH_MS } from '../../src/rooms/PkBattleRoom';
import { StreamFilterEvents } from '../../src/domain/filters/protocol';
import {
  AdaptQualityBody,
  IceCandidateBody,
  JoinRoomBody,
  OfferBody,
  RenegotiateBody,
  RtcEvents,
  RtcMessages,
  StatsBody,
  ToggleTrackBody,
} from '../../src/rtc/protocol';
import { ROOM_ERROR } from '../../src/rooms/roomKit';
import { api, nextMessage, registerUsers, sdk, waitFor } from '../helpers';

const DOC = readFileSync(path.join(__dirname, '..', '..', 'docs', 'protocol.md'), 'utf8');
const LINES = DOC.split('\n');

const MAPS: Record<string, Record<string, string>> = {
  RtcMessages,
  RtcEvents,
  ShopEvents,
  ShopMessages,
  PkEvents,
  PkMessages,
  MhEvents,
  MhMessages,
  StreamFilterEvents,
  LiveStreamEvents,
  InboxEvents,
};

/** The keys of a zod object schema, through refinements, transforms and pipes. */
function keysOf(schema: z.ZodType): string[] {
  let s = schema as unknown as { _zod: { def: { type: string; in?: unknown; shape?: Record<string, unknown> } } };
  while (s._zod.def.type === 'pipe') s = s._zod.def.in as typeof s;
  assert.equal(s._zod.def.type, 'object');
  return Object.keys(s._zod.def.shape!);
}

/** The one docs line (a table row) that contains every one of `anchors`. */
function row(...anchors: string[]): string {
  const found = LINES.filter((l) => anchors.every((a) => l.includes(a)));
  assert.equal(found.length, 1, `expected one docs row with ${anchors.join(' + ')}, found ${found.length}`);
  return found[0]!;
}

/** The field names a docs row lists for a payload: `{ a, b?, c: ... }` → a, b, c (top level only). */
function fieldsIn(text: string): string[] {
  const open = text.indexOf('{');
  let depth = 0;
  let cur = '';
  const names: string[] = [];
  for (const ch of text.slice(open)) {
    if (ch === '{' || ch === '[' || ch === '(') depth++;
    if (ch === '}' || ch === ']' || ch === ')') depth--;
    if (depth === 1 && ch === ',') {
      names.push(cur);
      cur = '';
    } else if (depth >= 1 && !(depth === 1 && ch === '{')) cur += ch;
    if (depth === 0 && ch === '}') break;
  }
  names.push(cur);
  return names.map((n) => n.trim().match(/^([A-Za-z]+)/)?.[1] ?? '').filter(Boolean);
}

const SRC = path.join(__dirname, '..', '..', 'src');

/**
 * Every event-name constant of the code, found by reading src/ (not a hand-kept list): each
 * `export const <Name>Events|<Name>Messages = { ... }` (the protocol files src/domain/<feature>/protocol.ts
 * and src/rtc/protocol.ts, and any room that still declares its own), plus the room kit's `error` event.
 */
async function eventConstants(): Promise<Map<string, string[]>> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) files.push(p);
    }
  };
  walk(SRC);
  const byName = new Map<string, string[]>([[ROOM_ERROR, ['roomKit.ROOM_ERROR']]]);
  for (const file of files.sort()) {
    const maps = [...readFileSync(file, 'utf8').matchAll(/^export const (\w+(?:Events|Messages)) = \{/gm)].map(
      (m) => m[1]!,
    );
    if (!maps.length) continue;
    const mod = (await import(file)) as Record<string, Record<string, unknown>>;
    for (const map of maps) {
      for (const [key, value] of Object.entries(mod[map] ?? {})) {
        assert.equal(typeof value, 'string', `${map}.${key} in ${path.relative(SRC, file)}`);
        byName.set(value as string, [...(byName.get(value as string) ?? []), `${map}.${key}`]);
      }
    }
  }
  return byName;
}

/**
 * The names in the first column of the docs' message and event tables (a table whose first header
 * cell starts with "type", "event" or "message"): `| \`a:b\`, \`c:d\` | ...` → a:b, c:d.
 */
function tableEvents(): Map<string, number> {
  const names = new Map<string, number>();
  let eventTable = false;
  LINES.forEach((line, i) => {
    if (!line.startsWith('|')) {
      eventTable = false;
      return;
    }
    const first = line.split('|')[1]!.trim();
    if (LINES[i + 1]?.startsWith('| ---')) {
      eventTable = /^(type|event|message)\b/.test(first);
      return;
    }
    if (!eventTable || first.startsWith('---')) return;
    for (const m of first.matchAll(/`([^`\s]+)`/g)) names.set(m[1]!, i + 1);
  });
  return names;
}

describe('docs/protocol.md tables list exactly the protocol files’ events', () => {
  let code: Map<string, string[]>;
  let docs: Map<string, number>;
  before(async () => {
    code = await eventConstants();
    docs = tableEvents();
  });

  it('finds the protocol files’ constants and the docs’ tables', () => {
    for (const [name, where] of [
      ['pk-battle:gift', 'PkEvents.gift'],
      ['webrtc:offer', 'RtcMessages.offer,RtcEvents.offer'],
      ['live-shopping:sold-out', 'ShopEvents.soldOut'],
      ['error', 'roomKit.ROOM_ERROR'],
    ]) {
      assert.equal(code.get(name!)?.join(), where);
    }
    assert.ok(code.size > 60, `only ${code.size} event constants found`);
    assert.ok(docs.has('webrtc:publish') && docs.has('pk-battle:gift'), 'the docs tables were not parsed');
  });

  it('every event-name constant in the code is in a docs table', () => {
    const missing = [...code]
      .filter(([name]) => !docs.has(name))
      .map(([name, where]) => `${name} (${where.join(', ')})`);
    assert.deepEqual(missing, [], `in the code but in no docs table:\n  ${missing.join('\n  ')}`);
  });

  it('every event in the docs tables exists in the code', () => {
    const stale = [...docs].filter(([name]) => !code.has(name)).map(([name, line]) => `${name} (protocol.md:${line})`);
    assert.deepEqual(stale, [], `in a docs table but not in the code:\n  ${stale.join('\n  ')}`);
  });
});

describe('docs/protocol.md matches the code', () => {
  it('every message and event name of the as-const maps is documented, and every documented name exists', () => {
    const known = new Set(Object.values(MAPS).flatMap((m) => Object.values(m)));
    const missing = [...known].filter((name) => !DOC.includes(`\`${name}\``) && !DOC.includes(`\`${name} `));
    assert.deepEqual(missing, [], `undocumented: ${missing.join(', ')}`);
    // Names in backticks that look like events (feature:action) must be real.
    const documented = new Set([...DOC.matchAll(/`([a-z]+(?:-[a-z]+)*:[a-z]+(?:-[a-z]+)*)[` ]/g)].map((m) => m[1]!));
    const stale = [...documented].filter((n) => !known.has(n));
    assert.deepEqual(stale, [], `documented but not in the code: ${stale.join(', ')}`);
  });

  it('every error code is in the table', () => {
    for (const code of Object.values(ErrorCode)) assert.ok(DOC.includes(`| \`${code}\` |`), code);
  });

  it('every field of the request schemas is named in its row', () => {
    const cases: Array<[z.ZodType, string[]]> = [
      [CreateBattleBody, ['| POST | `/api/pk-battles` |']],
      [GiftBody, ['`/api/pk-battles/:id/gift`']],
      [GiftBody, ['| `gift` |']],
      [ProductBody, ['| POST | `/api/products` |']],
      [StreamProductBody, ['`/api/live-shopping/:id/products` |']],
      [StreamProductPatch, ['| PATCH | `/api/live-shopping/:id/products/:productId` |']],
      [InteractionBody, ['`/api/live-shopping/:id/interactions`']],
      [OrderBody, ['`/api/live-shopping/:id/orders`']],
      [OrderBody, ['| `order` |']],
      [VoucherBody, ['| POST | `/api/live-shopping/:id/vouchers` |']],
      [VoucherCheckBody, ['`/api/live-shopping/:id/vouchers/use`']],
      [CreateSessionBody, ['| POST | `/api/multihost` |']],
      [SettingsBody, ['`/api/multihost/:id/settings`']],
      [LayoutBody, ['`/api/multihost/:id/layout`']],
      [JoinRoomBody, ['| `webrtc:join-room` |']],
      [OfferBody, ['| `webrtc:offer` |']],
      [IceCandidateBody, ['| `webrtc:ice-candidate` |']],
      [RenegotiateBody, ['| `webrtc:renegotiate` |']],
      [ToggleTrackBody, ['| `webrtc:toggle-track` |']],
      [StatsBody, ['| `webrtc:stats-update` |']],
      [AdaptQualityBody, ['| `webrtc:adapt-quality` |']],
    ];
    const problems: string[] = [];
    for (const [schema, anchors] of cases) {
      const line = row(...anchors);
      for (const k of keysOf(schema)) if (!new RegExp(`\\b${k}\\b`).test(line)) problems.push(`${anchors[0]}: ${k}`);
    }
    assert.deepEqual(problems, [], `fields missing from docs rows: ${problems.join('; ')}`);
  });

  it('states the rooms’ own patch rates', () => {
    const section = (marker: string) => DOC.slice(DOC.indexOf(`<!-- section: ${marker} -->`));
    const firstPatch = (s: string) => s.match(/patches every (\d+) ms/)?.[1];
    assert.equal(firstPatch(section('pk-battles')), String(PK_PATCH_MS));
    assert.equal(firstPatch(section('live-shopping')), String(SHOP_PATCH_MS));
  });

  it('live-shopping event payloads carry exactly the documented fields', async () => {
    const [seller, buyer] = await registerUsers(2, 'docs');
    const p = await api('POST', '/api/products', { token: seller!.token, body: { name: 'Kit', price: 10, stock: 5 } });
    const s = (await api('POST', '/api/live-shopping', { token: seller!.token, body: { title: 'Docs' } })).body.data;
    await api('POST', `/api/live-shopping/${s.sessionId}/start`, { token: seller!.token });
    const room = await sdk(buyer!).joinById(s.roomId);
    room.onMessage('*', () => undefined);
    await waitFor(() => room.state?.sessionId, 3000, 'state');

    const added = nextMessage(room, ShopEvents.productAdded);
    await api('POST', `/api/live-shopping/${s.sessionId}/products`, {
      token: seller!.token,
      body: { productId: p.body.data.product.id, livePrice: 9.5, flashSale: { quantity: 2, expiresIn: 60_000 } },
    });
    const product = (await added).product;
    const voucher = nextMessage(room, ShopEvents.voucher);
    await api('POST', `/api/live-shopping/${s.sessionId}/vouchers`, {
      token: seller!.token,
      body: { code: 'DOCS1', type: 'fixed', value: 1.5, usageLimit: 3 },
    });
    const v = await voucher;
    const result = nextMessage(room, ShopEvents.orderResult);
    room.send(ShopMessages.order, { productId: p.body.data.product.id, quantity: 1 });
    const { order } = await result;

    const sorted = (xs: string[]) => [...new Set(xs)].sort();
    const evRow = (name: string) => row(`| \`${name}\``);
    assert.deepEqual(sorted(fieldsIn(evRow(ShopEvents.voucher))), sorted(Object.keys(v)), 'voucher event');
    assert.deepEqual(
      sorted(fieldsIn(evRow(ShopEvents.productAdded).split('product:')[1]!)),
      sorted(Object.keys(product)),
      'product-added',
    );
    const orderLine = LINES.find((l) => l.startsWith('`order` in results:'))!;
    assert.deepEqual(sorted(fieldsIn(orderLine)), sorted(Object.keys(order)), 'order in results');
    await room.leave();
  });
});
