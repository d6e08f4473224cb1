/**
 * The shopping session's records as the model and the store hold them (money in minor units); clients see the
 * same shapes in the major unit (`VoucherPayload`, `OrderPayload` in protocol.ts, converted in views.ts).
 */
import type { VoucherRule } from './rules';

/** A voucher: the rule's fields plus its id and visibility. */
export interface VoucherRecord extends VoucherRule {
  id: string;
  private: boolean;
}

export interface OrderRecord {
  id: string;
  sessionId: string;
  productId: string;
  buyerId: string;
  quantity: number;
  unitPrice: number;
  discount: number;
  total: number;
  flash: boolean;
  voucherId: string | null;
  status: string;
  idempotencyKey: string;
  expiresAt: number;
  createdAt: string;
}
