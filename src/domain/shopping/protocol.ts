/** Live shopping wire protocol: message/event names and the bodies shared by HTTP and room messages. */
import { z } from 'zod';
import { idempotencyKey } from '../../validation';

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
  started: 'live-shopping:started',
  ended: 'live-shopping:ended',
  error: 'live-shopping:error',
} as const;

export const ShopMessages = { order: 'order', interaction: 'interaction' } as const;

const money = z.number().int().min(1).max(100_000_000);
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
      /** Seconds. */
      expiresIn: z.number().int().min(1).max(86_400),
      price: money.optional(),
      perCustomerLimit: z.number().int().min(1).max(1000).optional(),
    })
    .optional(),
});
export type StreamProductBody = z.infer<typeof StreamProductBody>;

export const PinBody = z.object({ productId: uuid });

export const InteractionBody = z.object({
  productId: uuid,
  type: z.enum(['view', 'click', 'cart_add']),
});
export type InteractionBody = z.infer<typeof InteractionBody>;

export const OrderBody = z.object({
  productId: uuid,
  quantity: z.number().int().min(1).max(100),
  voucherCode: z.string().trim().min(1).max(40).optional(),
  idempotencyKey,
  requestId: z.string().max(128).optional(),
});
export type OrderBody = z.infer<typeof OrderBody>;

export const VoucherBody = z
  .object({
    code: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{3,40}$/, 'letters, digits, _ and - (3-40)'),
    type: z.enum(['percent', 'fixed']),
    value: z.number().int().min(1).max(100_000_000),
    usageLimit: z.number().int().min(1).max(1_000_000),
    perUserLimit: z.number().int().min(1).max(1000).default(1),
    minOrderAmount: z.number().int().min(0).max(100_000_000).default(0),
    /** Epoch ms or ISO time. */
    expiresAt: z.union([z.number().int(), z.string().datetime()]).optional(),
    productIds: z.array(uuid).min(1).max(100).optional(),
    /** Private vouchers are announced without their code. */
    private: z.boolean().default(false),
  })
  .refine((v) => v.type !== 'percent' || v.value <= 100, { message: 'percent value must be 1-100', path: ['value'] });
export type VoucherBody = z.infer<typeof VoucherBody>;

export const VoucherCheckBody = z.object({
  code: z.string().trim().min(1).max(40),
  productId: uuid,
  quantity: z.number().int().min(1).max(100).default(1),
});
export type VoucherCheckBody = z.infer<typeof VoucherCheckBody>;
