/**
 * Where stock is decremented: the ONE place the room's stock changes. An order takes units (the
 * stream's remaining, the flash sale's remaining, the buyer's held units, a voucher use) with
 * `takeUnits` when the model accepts it, and gives them back with `returnUnits` when its commit
 * fails, when it turns out to be a replay, or when its reservation is released. Whether an order
 * may take them (enough stock, flash units, per-customer and voucher limits) is decided before, in
 * model.ts `order`.
 *
 * The database repeats the guard on its own (src/stores/shoppingStore.ts: `remaining >= quantity`
 * conditional UPDATEs and CHECK constraints on stock, voucher uses and per-buyer counters): that is
 * the safety net for another process or a bug here, not a second authority.
 */
import { addCount, type Hold, type Product, type ShopState, voucherById, withEntry } from './state';

function move(s: ShopState, h: Hold, dir: 1 | -1): ShopState {
  const p = s.products.get(h.productId);
  if (!p) return s;
  const next: Product = {
    ...p,
    remaining: p.remaining + dir * h.quantity,
    flashRemaining: h.flash ? p.flashRemaining + dir * h.quantity : p.flashRemaining,
    holds: addCount(p.holds, h.buyerId, -dir * h.quantity),
  };
  const v = voucherById(s, h.voucherId);
  const vouchers = v
    ? withEntry(s.vouchers, v.code.toLowerCase(), {
        ...v,
        uses: v.uses - dir,
        usesByUser: addCount(v.usesByUser, h.buyerId, -dir),
      })
    : s.vouchers;
  return { ...s, products: withEntry(s.products, h.productId, next), vouchers };
}

/** Takes an order's units (and its voucher use) in the room. */
export function takeUnits(s: ShopState, h: Hold): ShopState {
  return move(s, h, -1);
}

/** Gives an order's units (and its voucher use) back; flash units go back only when `h.flash`. */
export function returnUnits(s: ShopState, h: Hold): ShopState {
  return move(s, h, 1);
}
