/**
 * The live state of one shopping stream as the model (model.ts) sees it: plain immutable data,
 * money in integer minor units, times in epoch ms. The room keeps one of these next to its schema
 * state and replaces it with each decision's next state. Records are the rows the store reads and
 * writes (src/stores/shoppingStore.ts uses these types).
 */
import { emptySet, PMap, type PSet } from '../pmap';
import type { InteractionType } from './protocol';
import type { VoucherRecord } from './records';
import type { PricedProduct } from './rules';

export type { OrderRecord, VoucherRecord } from './records';

export type SessionStatus = 'scheduled' | 'live' | 'ended' | 'interrupted';

export interface StreamProductRecord {
  id: string;
  productId: string;
  name: string;
  livePrice: number;
  offered: number;
  remaining: number;
  flashPrice: number | null;
  flashQuantity: number | null;
  flashRemaining: number | null;
  flashEndsAt: number | null;
  perCustomerLimit: number | null;
}

/** An order the room reserved and hands to the store (which commits it in a group). */
export interface NewOrderRecord {
  sessionId: string;
  streamProductId: string;
  productId: string;
  buyerId: string;
  quantity: number;
  unitPrice: number;
  discount: number;
  total: number;
  flash: boolean;
  voucherId: string | null;
  idempotencyKey: string;
  expiresAt: number;
}

/** A product in the stream: its record as last written, and the live counters the room holds. */
export interface Product {
  readonly record: StreamProductRecord;
  readonly remaining: number;
  readonly flashRemaining: number;
  /** Units each buyer holds (not released), for the flash sale's per-customer limit. */
  readonly holds: PMap<number>;
  /** The flash sale ran out of time or units, or was ended: the live price from then on. */
  readonly flashOver: boolean;
  /** When the current flash sale began (0: with the product); a released order returns flash units only to it. */
  readonly flashStartedAt: number;
  readonly soldOutAnnounced: boolean;
  readonly counts: Readonly<Record<InteractionType, number>>;
  readonly unique: Readonly<Record<InteractionType, PSet>>;
}

export interface Voucher extends VoucherRecord {
  readonly usesByUser: PMap<number>;
}

/** Units an order holds in the room (while it commits, and after, until it is released). */
export interface Hold {
  readonly productId: string;
  readonly buyerId: string;
  readonly quantity: number;
  readonly flash: boolean;
  readonly voucherId: string | null;
}

/** An order being committed: its hold, and who to tell. */
export interface PendingOrder extends Hold {
  readonly buyerName: string;
}

/** reserved: unpaid, expires; settled: paid (or no longer reserved in the database); released: units returned. */
export type OrderStatus = 'reserved' | 'settled' | 'released';

export interface ShopState {
  readonly sessionId: string;
  readonly sellerId: string;
  readonly status: SessionStatus;
  readonly currency: string;
  /** By product id. */
  readonly products: ReadonlyMap<string, Product>;
  /** By lower-case code. */
  readonly vouchers: ReadonlyMap<string, Voucher>;
  readonly pinnedProductId: string | null;
  /** Orders being committed, by the room's reference. */
  readonly pending: PMap<PendingOrder>;
  /** Every committed order this room counts in its stock (loaded at create, or placed through it). */
  readonly orders: PMap<OrderStatus>;
  /** How many of `orders` are reserved (unpaid, with an expiry). */
  readonly reserved: number;
  readonly viewers: { readonly count: number; readonly peak: number; readonly unique: PSet };
  /** Ended and told to close once its reservations settle. */
  readonly closing: boolean;
}

export function newProduct(record: StreamProductRecord, now: number): Product {
  return {
    record,
    remaining: record.remaining,
    flashRemaining: record.flashRemaining ?? 0,
    holds: PMap.empty(),
    flashOver: record.flashEndsAt === null || record.flashEndsAt <= now,
    flashStartedAt: 0,
    soldOutAnnounced: record.remaining === 0,
    counts: { view: 0, click: 0, cart_add: 0 },
    unique: { view: emptySet(), click: emptySet(), cart_add: emptySet() },
  };
}

/** A flash sale is running: it has a pending end (time) that units or the seller may bring forward. */
export const flashRunning = (p: Product): boolean => p.record.flashEndsAt !== null && !p.flashOver;

/** What the price rules need (rules.ts priceAt). */
export function pricing(p: Product): PricedProduct {
  return {
    livePrice: p.record.livePrice,
    remaining: p.remaining,
    flashPrice: p.record.flashPrice,
    flashRemaining: p.record.flashQuantity === null ? null : p.flashRemaining,
    flashEndsAt: p.flashOver ? 0 : p.record.flashEndsAt,
  };
}

export function voucherById(s: ShopState, id: string | null): Voucher | undefined {
  if (id === null) return undefined;
  for (const v of s.vouchers.values()) if (v.id === id) return v;
  return undefined;
}

/** Nothing is left to settle: no order being committed, no unpaid reservation. */
export function settled(s: ShopState): boolean {
  return s.pending.size === 0 && s.reserved === 0;
}

/** `orders` with this order's status set, and the reserved count kept with it. */
export function withOrder(s: ShopState, orderId: string, status: OrderStatus): ShopState {
  const before = s.orders.get(orderId);
  const reserved = s.reserved + (status === 'reserved' ? 1 : 0) - (before === 'reserved' ? 1 : 0);
  return { ...s, orders: s.orders.set(orderId, status), reserved };
}

// Copy-on-write for the small read-only collections (products, vouchers).
export function withEntry<K, V>(m: ReadonlyMap<K, V>, k: K, v: V): ReadonlyMap<K, V> {
  return new Map(m).set(k, v);
}
/** `m[k] + delta`, never below 0. */
export function addCount(m: PMap<number>, k: string, delta: number): PMap<number> {
  return m.set(k, Math.max(0, (m.get(k) ?? 0) + delta));
}
