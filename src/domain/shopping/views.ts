/** What clients see of the model: money converted to the major unit here, only when answering. */
import { toMajor, toMajorOrNull } from './money';
import type { OrderPayload, ProductPayload, VoucherPayload } from './protocol';
import { priceAt, type summarize } from './rules';
import { type OrderRecord, type Product, pricing, type ShopState, type VoucherRecord } from './state';

export function productView(p: Product, now: number): ProductPayload {
  const r = p.record;
  const { unitPrice, flash } = priceAt(pricing(p), now);
  return {
    productId: r.productId,
    name: r.name,
    currentPrice: toMajor(unitPrice),
    livePrice: toMajor(r.livePrice),
    offered: r.offered,
    remaining: p.remaining,
    flashSale:
      r.flashQuantity === null
        ? null
        : {
            price: toMajorOrNull(r.flashPrice),
            quantity: r.flashQuantity,
            remaining: p.flashRemaining,
            endsAt: r.flashEndsAt,
            perCustomerLimit: r.perCustomerLimit,
            active: flash,
          },
  };
}

export function orderView(o: OrderRecord, currency: string): OrderPayload {
  return {
    ...o,
    unitPrice: toMajor(o.unitPrice),
    discount: toMajor(o.discount),
    total: toMajor(o.total),
    currency,
  };
}

export function voucherView(v: VoucherRecord): VoucherPayload {
  return {
    id: v.id,
    code: v.code,
    type: v.type,
    value: v.type === 'fixed' ? toMajor(v.value) : v.value,
    usageLimit: v.usageLimit,
    perUserLimit: v.perUserLimit,
    minOrderAmount: toMajor(v.minOrderAmount),
    expiresAt: v.expiresAt,
    productIds: v.productIds,
    private: v.private,
    uses: v.uses,
  };
}

/** The room's current values (rpcSnapshot, start/end answers, GET /api/live-shopping/:id `live`). */
export function snapshotView(s: ShopState, now: number) {
  return {
    sessionId: s.sessionId,
    // The room's id is its session's id.
    roomId: s.sessionId,
    status: s.status,
    pinnedProductId: s.pinnedProductId,
    viewerCount: s.viewers.count,
    currency: s.currency,
    products: [...s.products.values()].map((p) => productView(p, now)),
  };
}

export type Snapshot = ReturnType<typeof snapshotView>;

/** The per-product figures the analytics summary (rules.ts summarize) needs from the room. */
export function productFigures(s: ShopState) {
  return [...s.products.values()].map((p) => ({
    productId: p.record.productId,
    name: p.record.name,
    offered: p.record.offered,
    remaining: p.remaining,
    flashQuantity: p.record.flashQuantity,
    views: p.counts.view,
    clicks: p.counts.click,
    cartAdds: p.counts.cart_add,
    uniqueViewers: p.unique.view.size,
  }));
}

/** The interaction counters the store keeps per stream product. */
export function interactionRows(s: ShopState) {
  return [...s.products.values()].map((p) => ({
    streamProductId: p.record.id,
    views: p.counts.view,
    clicks: p.counts.click,
    cartAdds: p.counts.cart_add,
  }));
}

/** Analytics as answered and persisted: money in the major unit. */
export function analyticsView(a: ReturnType<typeof summarize>, currency: string) {
  return {
    currency,
    ...a,
    revenue: toMajor(a.revenue),
    averageOrderValue: toMajor(a.averageOrderValue),
    products: a.products.map((p) => ({
      ...p,
      revenue: toMajor(p.revenue),
      averageOrderValue: toMajor(p.averageOrderValue),
    })),
  };
}
export type Analytics = ReturnType<typeof analyticsView>;
