/** Mirrors the model into the room's schema state (what viewers see, delta-synced): money in the major unit. */
import { toMajor } from '../../domain/shopping/money';
import { priceAt } from '../../domain/shopping/rules';
import { type Product, pricing, type ShopState } from '../../domain/shopping/state';
import { type LiveShoppingState, ShopProduct } from '../../state/LiveShoppingState';

/** The stream's fixed fields, once at creation. */
export function writeHeader(
  schema: LiveShoppingState,
  session: { id: string; sellerId: string; sellerName: string; title: string },
  currency: string,
): void {
  schema.sessionId = session.id;
  schema.sellerId = session.sellerId;
  schema.sellerName = session.sellerName;
  schema.title = session.title;
  schema.currency = currency;
}

/**
 * Writes what changed since the last call: the model's values are immutable, so a product whose
 * object is the one last written (`synced`) is skipped.
 */
export function syncSchema(schema: LiveShoppingState, s: ShopState, now: number, synced: Map<string, unknown>): void {
  schema.status = s.status;
  schema.pinnedProductId = s.pinnedProductId ?? '';
  schema.viewerCount = s.viewers.count;
  for (const [id, p] of s.products) {
    if (synced.get(id) === p) continue;
    synced.set(id, p);
    let sp = schema.products.get(id);
    if (!sp) {
      sp = new ShopProduct();
      sp.productId = id;
      schema.products.set(id, sp);
    }
    writeProduct(sp, p, now);
  }
}

function writeProduct(sp: ShopProduct, p: Product, now: number): void {
  const r = p.record;
  const { unitPrice, flash } = priceAt(pricing(p), now);
  sp.name = r.name;
  sp.livePrice = toMajor(r.livePrice);
  sp.offered = r.offered;
  sp.flashPrice = toMajor(r.flashPrice ?? 0);
  sp.flashEndsAt = r.flashEndsAt ?? 0;
  sp.remaining = p.remaining;
  sp.flashRemaining = r.flashQuantity === null ? 0 : p.flashRemaining;
  sp.currentPrice = toMajor(unitPrice);
  sp.flashActive = flash;
}
