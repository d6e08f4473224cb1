import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';

/** Unpaid reserved units of one buyer in one shopping session: a counter row kept within SHOP_MAX_RESERVED_PER_BUYER. */
@Entity({ name: 'shop_buyer_reserved' })
@Check('shop_buyer_reserved_within_cap', '(units >= 0) AND (units <= cap)')
export class ShopBuyerReserved {
  @PrimaryColumn({ name: 'session_id', type: 'uuid' })
  @ForeignKey('ShoppingSession', { name: 'shop_buyer_reserved_session_id_fkey' })
  sessionId!: string;

  @PrimaryColumn({ name: 'buyer_id', type: 'uuid' })
  @ForeignKey('User', { name: 'shop_buyer_reserved_buyer_id_fkey' })
  buyerId!: string;

  @Column({ type: 'integer' })
  units!: number;

  @Column({ type: 'integer' })
  cap!: number;
}
