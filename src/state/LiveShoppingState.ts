import { schema, t } from '@colyseus/schema';
import { HostFilters } from './ActiveFilter';
import { SfuFeed } from './SfuFeed';

/** A product in the stream as every viewer sees it. Prices in minor units; times epoch ms. */
export const ShopProduct = schema(
  {
    productId: t.string().default(''),
    name: t.string().default(''),
    /** The price an order placed now pays: the flash price while the flash sale lasts, the live price after. */
    currentPrice: t.number().default(0),
    livePrice: t.number().default(0),
    offered: t.number().default(0),
    remaining: t.number().default(0),
    /** 0 when there is no flash sale. */
    flashPrice: t.number().default(0),
    flashEndsAt: t.number().default(0),
    flashRemaining: t.number().default(0),
    flashActive: t.boolean().default(false),
  },
  'ShopProduct',
);
export type ShopProduct = InstanceType<typeof ShopProduct>;

export const LiveShoppingState = schema(
  {
    sessionId: t.string().default(''),
    sellerId: t.string().default(''),
    sellerName: t.string().default(''),
    title: t.string().default(''),
    currency: t.string().default('USD'),
    /** scheduled | live | ended | interrupted */
    status: t.string().default('scheduled'),
    /** Keyed by product id. */
    products: t.map(ShopProduct),
    pinnedProductId: t.string().default(''),
    viewerCount: t.number().default(0),
    filters: t.map(HostFilters),
    /** Feeds live on the SFU, by publisher user id (what viewers subscribe to). */
    feeds: t.map(SfuFeed),
  },
  'LiveShoppingState',
);
export type LiveShoppingState = InstanceType<typeof LiveShoppingState>;
