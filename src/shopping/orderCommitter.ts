/**
 * Process-wide group commit for shopping orders, on the one GroupCommitter (src/stores/groupCommit.ts):
 * orders of every stream on this process arriving within the window commit in one statement
 * (ShoppingStore.placeOrders); a batch that fails (a stock, voucher or per-buyer CHECK) is retried
 * order by order (placeOrder), so only the order that breaks a limit is refused.
 */
import { AppError, badRequest, ErrorCode } from '../errors';
import { GroupCommitter } from '../stores/groupCommit';
import { type NewOrder, type OrderRow, shoppingStore } from '../stores/shoppingStore';

export const ORDER_COMMIT_WINDOW_MS = 5;
export const ORDER_COMMIT_MAX_BATCH = 200;
/** shop_orders money columns are 32-bit integers: a total must fit. */
export const MAX_ORDER_TOTAL = 2_147_483_647;

type Placed = { order: OrderRow; replayed: boolean };

export function validateOrder(o: NewOrder): void {
  if (!Number.isSafeInteger(o.total) || o.total < 0 || o.total > MAX_ORDER_TOTAL) {
    throw badRequest(`Order total must be between 0 and ${MAX_ORDER_TOTAL}`);
  }
  if (!o.idempotencyKey || o.idempotencyKey.length > 128) throw badRequest('idempotencyKey: 1-128 characters');
}

let instance: GroupCommitter<NewOrder, Placed> | undefined;
export function orderCommitter(): GroupCommitter<NewOrder, Placed> {
  instance ??= new GroupCommitter<NewOrder, Placed>({
    name: 'orders',
    windowMs: ORDER_COMMIT_WINDOW_MS,
    maxBatch: ORDER_COMMIT_MAX_BATCH,
    validate: validateOrder,
    commitBatch: (items) => shoppingStore().placeOrders(items),
    commitOne: (item) => shoppingStore().placeOrder(item),
    unavailable: () =>
      new AppError(ErrorCode.UNAVAILABLE, 'Order could not be recorded, nothing was reserved; retry with the same key'),
  });
  return instance;
}
