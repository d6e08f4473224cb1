/** Live shopping wire protocol: message/event names and the bodies shared by HTTP and room messages. */
import { z } from 'zod';
import { optionalKey } from '../../validation';
import { amount, MAX_MINOR } from './money';
import type { OrderRecord, VoucherRecord } from './records';

export const ShopEvents = {
  productAdded: 'live-shopping:product-added',
  productPinned: 'live-shopping:product-pinned',
  flashSale: 'live-shopping:flash-sale',
  flashSaleEnded: 'live-shopping:flash-sale-ended',
  order: 'live-shopping:order',
  orderResult: 'live-shopping:order-result',
  orderReleased: 'live-shopping:order-released',
  soldOut: 'live-shopping:sold-out',
  voucher: 'live-shopping:voucher',
  priceChanged: 'live-shopping:price-changed',
  productUnpinned: 'live-shopping:product-unpinned',
  started: 'live-shopping:started',
  ended: 'live-shopping:ended',
  error: 'live-shopping:error',
} as const;

export const ShopMessages = {
  order: 'order',
  interaction: 'interaction',
  /** Seller only: the live price and/or a flash sale of a product already in the stream. */
  updateProduct: 'update-product',
  pinProduct: 'pin-product',
  unpinProduct: 'unpin-product',
} as const;

/** Money on the wire: decimal amounts in the currency's major unit (29.99); parsed to integer minor units. */
const money = amount(1, MAX_MINOR);
/** A flash sale's length in milliseconds (the seed's unit: 600000 = 10 minutes), up to 24 h. */
export const FLASH_MAX_MS = 86_400_000;
const uuid = z.string().uuid();

export const ProductBody = z.object({
  name: z.string().trim().min(1).max(120),
  description: z.string().max(2000).default(''),
  price: money,
  stock: z.number().int().min(0).max(1_000_000),
  images: z.array(z.string().url().max(500)).max(10).default([]),
});
export const ProductPatch = ProductBody.partial().refine((p) => Object.keys(p).length > 0, 'nothing to update');

export const SessionBody = z.object({
  title: z.string().trim().min(1).max(120),
  description: z.string().max(2000).default(''),
});

export const StreamProductBody = z.object({
  productId: uuid,
  livePrice: money,
  /** Units moved from the catalog into this stream (default: all of the product's stock). */
  stock: z.number().int().min(1).max(1_000_000).optional(),
  flashSale: z
    .object({
      quantity: z.number().int().min(1).max(1_000_000),
      /** Milliseconds. */
      expiresIn: z.number().int().min(1000).max(FLASH_MAX_MS),
      price: money.optional(),
      perCustomerLimit: z.number().int().min(1).max(1000).optional(),
    })
    .optional(),
});
export type StreamProductBody = z.infer<typeof StreamProductBody>;
export type FlashSaleBody = NonNullable<StreamProductBody['flashSale']>;

/** PATCH /api/live-shopping/:id/products/:productId and the `update-product` message (`productId` in the body). */
export const StreamProductPatch = z
  .object({
    livePrice: money.optional(),
    /** Starts a flash sale now (none may be running); `null` ends the running one. */
    flashSale: StreamProductBody.shape.flashSale.unwrap().nullable().optional(),
  })
  .strict()
  .refine((p) => p.livePrice !== undefined || p.flashSale !== undefined, 'livePrice or flashSale is required');
export type StreamProductPatch = z.infer<typeof StreamProductPatch>;
/** The `update-product` message: `productId` plus a StreamProductPatch (checked by the room). */
export const UpdateProductMessage = z.object({ productId: uuid }).passthrough();

export const PinBody = z.object({ productId: uuid });
export const UnpinBody = z.object({}).passthrough();

export const InteractionBody = z.object({
  productId: uuid,
  type: z.enum(['view', 'click', 'cart_add']),
});
export type InteractionBody = z.infer<typeof InteractionBody>;
export type InteractionType = InteractionBody['type'];

export const OrderBody = z.object({
  productId: uuid,
  quantity: z.number().int().min(1).max(100),
  voucherCode: z.string().trim().min(1).max(40).optional(),
  /** Optional: makes a retry safe (see docs/protocol.md, Idempotency). `requestId` works too. */
  idempotencyKey: optionalKey,
  requestId: optionalKey,
});
export type OrderBody = z.infer<typeof OrderBody>;

export const VoucherBody = z
  .object({
    code: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{3,40}$/, 'letters, digits, _ and - (3-40)'),
    type: z.enum(['percent', 'fixed']),
    /** Percent: an integer 1-100. Fixed: an amount in the major unit (parsed to minor units below). */
    value: z.union([z.number(), z.string().max(20)]),
    usageLimit: z.number().int().min(1).max(1_000_000),
    perUserLimit: z.number().int().min(1).max(1000).default(1),
    minOrderAmount: amount(0, MAX_MINOR).default(0),
    /** Epoch ms or ISO time. */
    expiresAt: z.union([z.number().int(), z.string().datetime()]).optional(),
    productIds: z.array(uuid).min(1).max(100).optional(),
    /** Private vouchers are announced without their code. */
    private: z.boolean().default(false),
  })
  .transform((v, c) => {
    const value =
      v.type === 'percent'
        ? Number.isInteger(v.value) && Number(v.value) >= 1 && Number(v.value) <= 100
          ? Number(v.value)
          : null
        : (money.safeParse(v.value).data ?? null);
    if (value === null) {
      c.addIssue({
        code: 'custom',
        path: ['value'],
        message: v.type === 'percent' ? 'percent value must be an integer 1-100' : 'must be an amount 0.01-1000000',
      });
      return z.NEVER;
    }
    return { ...v, value };
  });
export type VoucherBody = z.infer<typeof VoucherBody>;

export const VoucherCheckBody = z.object({
  code: z.string().trim().min(1).max(40),
  productId: uuid,
  quantity: z.number().int().min(1).max(100).default(1),
});
export type VoucherCheckBody = z.infer<typeof VoucherCheckBody>;

// --- payloads (money in the major unit, see money.ts) -------------------------------------------

/** A product as clients see it (events, snapshots, answers). */
export interface ProductPayload {
  productId: string;
  name: string;
  currentPrice: number;
  livePrice: number;
  offered: number;
  remaining: number;
  flashSale: {
    price: number | null;
    quantity: number;
    remaining: number;
    endsAt: number | null;
    perCustomerLimit: number | null;
    active: boolean;
  } | null;
}

/** A voucher as clients see it: the record's fields, a fixed value and the minimum order in the major unit. */
export type VoucherPayload = VoucherRecord;

/** An order as clients see it: the record's fields, money in the major unit, and the currency. */
export type OrderPayload = OrderRecord & { currency: string };

/** What the buyer gets back (HTTP body and the `live-shopping:order-result` message). */
export interface OrderResult {
  order: OrderPayload;
  replayed: boolean;
}

/** Every event the room sends, with its payload. */
export interface ShopEventPayloads {
  [ShopEvents.productAdded]: { product: ProductPayload };
  [ShopEvents.productPinned]: { productId: string; product: ProductPayload };
  [ShopEvents.productUnpinned]: { productId: string };
  [ShopEvents.flashSale]: { product: ProductPayload; countdown: number; endsAt: number | null };
  [ShopEvents.flashSaleEnded]: { productId: string; price: number };
  [ShopEvents.priceChanged]: {
    productId: string;
    livePrice: number;
    previousLivePrice: number;
    currentPrice: number;
    previousPrice: number;
  };
  [ShopEvents.order]: {
    orderId: string;
    buyer: { id: string; name: string };
    productId: string;
    productName: string;
    quantity: number;
  };
  [ShopEvents.orderResult]: OrderResult & { requestId?: string };
  [ShopEvents.orderReleased]: { orderId: string; productId: string };
  [ShopEvents.soldOut]: { productId: string };
  [ShopEvents.voucher]: Omit<VoucherPayload, 'id' | 'code'> & { code?: string; sessionId: string };
  [ShopEvents.started]: { sessionId: string };
  [ShopEvents.ended]: { sessionId: string };
}

/** One event and its payload, as the model's effects carry it. */
export type ShopMessage = {
  [K in keyof ShopEventPayloads]: { event: K; payload: ShopEventPayloads[K] };
}[keyof ShopEventPayloads];
