/** Live shopping rules: prices, flash sales, vouchers, order totals, analytics. Pure; money in minor units. */
import { ErrorCode } from '../../errors';
import { accept, type Result, refuse } from '../result';

export interface PricedProduct {
  livePrice: number;
  remaining: number;
  flashPrice: number | null;
  flashRemaining: number | null;
  flashEndsAt: number | null;
}

export function flashActive(p: PricedProduct, now: number): boolean {
  return p.flashEndsAt !== null && now < p.flashEndsAt && (p.flashRemaining ?? 0) > 0;
}

/** The unit price right now: the flash price while the flash sale has time and units, the live price after. */
export function priceAt(p: PricedProduct, now: number): { unitPrice: number; flash: boolean } {
  return flashActive(p, now)
    ? { unitPrice: p.flashPrice ?? p.livePrice, flash: true }
    : { unitPrice: p.livePrice, flash: false };
}

export interface VoucherRule {
  code: string;
  type: 'percent' | 'fixed';
  value: number;
  usageLimit: number;
  perUserLimit: number;
  minOrderAmount: number;
  expiresAt: number | null;
  productIds: string[] | null;
  uses: number;
}

/** Would this voucher apply to this order, and for how much (the discount)? Uses are consumed atomically elsewhere. */
export function checkVoucher(
  v: VoucherRule,
  o: { productId: string; subtotal: number; usesByUser: number; now: number },
): Result<number> {
  if (v.expiresAt !== null && o.now >= v.expiresAt) return refuse(ErrorCode.INVALID_STATE, 'Voucher has expired');
  if (v.productIds && !v.productIds.includes(o.productId))
    return refuse(ErrorCode.VALIDATION, 'Voucher does not apply to this product');
  if (o.subtotal < v.minOrderAmount) {
    return refuse(ErrorCode.VALIDATION, `Order must be at least ${v.minOrderAmount} for this voucher`);
  }
  if (v.uses >= v.usageLimit) return refuse(ErrorCode.CONFLICT, 'Voucher has been used up');
  if (o.usesByUser >= v.perUserLimit) return refuse(ErrorCode.CONFLICT, 'You have already used this voucher');
  return accept(voucherDiscount(v, o.subtotal));
}

export function voucherDiscount(v: Pick<VoucherRule, 'type' | 'value'>, subtotal: number): number {
  const d = v.type === 'percent' ? Math.floor((subtotal * v.value) / 100) : v.value;
  return Math.max(0, Math.min(subtotal, d));
}

export function orderTotal(unitPrice: number, quantity: number, discount: number) {
  const subtotal = unitPrice * quantity;
  return { subtotal, discount: Math.min(discount, subtotal), total: subtotal - Math.min(discount, subtotal) };
}

export interface ProductCounters {
  views: number;
  clicks: number;
  cartAdds: number;
}

export function rates(o: {
  orders: number;
  revenue: number;
  uniqueViewers: number;
  flashSold: number;
  flashOffered: number;
}) {
  const r2 = (n: number) => Math.round(n * 10_000) / 10_000;
  return {
    averageOrderValue: o.orders ? Math.round(o.revenue / o.orders) : 0,
    conversion: o.uniqueViewers ? r2(o.orders / o.uniqueViewers) : 0,
    flashSellThrough: o.flashOffered ? r2(o.flashSold / o.flashOffered) : null,
  };
}

export interface ProductFigures {
  productId: string;
  name: string;
  offered: number;
  remaining: number;
  flashQuantity: number | null;
  views: number;
  clicks: number;
  cartAdds: number;
}

export interface OrderFigures {
  productId: string;
  quantity: number;
  total: number;
  flash: boolean;
  status: string;
}

/** A stream's analytics from its products, its orders (released ones do not count) and its viewers. */
export function summarize(
  products: ProductFigures[],
  orders: OrderFigures[],
  viewers: { peak: number; unique: number },
) {
  const live = orders.filter((o) => o.status !== 'released');
  const perProduct = products.map((p) => {
    const mine = live.filter((o) => o.productId === p.productId);
    const revenue = mine.reduce((s, o) => s + o.total, 0);
    const units = mine.reduce((s, o) => s + o.quantity, 0);
    const flashSold = mine.filter((o) => o.flash).reduce((s, o) => s + o.quantity, 0);
    const r = rates({
      orders: mine.length,
      revenue,
      uniqueViewers: viewers.unique,
      flashSold,
      flashOffered: p.flashQuantity ?? 0,
    });
    return { ...p, orders: mine.length, units, revenue, flashSold, ...r };
  });
  const orderCount = live.length;
  const revenue = live.reduce((s, o) => s + o.total, 0);
  const flashSold = perProduct.reduce((s, p) => s + p.flashSold, 0);
  const flashOffered = products.reduce((s, p) => s + (p.flashQuantity ?? 0), 0);
  return {
    viewers,
    views: products.reduce((s, p) => s + p.views, 0),
    clicks: products.reduce((s, p) => s + p.clicks, 0),
    cartAdds: products.reduce((s, p) => s + p.cartAdds, 0),
    orders: orderCount,
    paidOrders: live.filter((o) => o.status === 'paid').length,
    units: live.reduce((s, o) => s + o.quantity, 0),
    revenue,
    ...rates({ orders: orderCount, revenue, uniqueViewers: viewers.unique, flashSold, flashOffered }),
    products: perProduct,
  };
}

/** Only a product's seller may offer it in a stream. */
export function canSell(product: { sellerId: string }, userId: string): Result<true> {
  return product.sellerId === userId
    ? accept(true)
    : refuse(ErrorCode.FORBIDDEN, 'You can only sell your own products');
}
