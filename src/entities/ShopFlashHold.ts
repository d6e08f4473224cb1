import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';

/** Flash-sale units one buyer holds of one stream product: a counter row kept within the per-customer limit. */
@Entity({ name: 'shop_flash_holds' })
@Check(
  'shop_flash_holds_within_limit',
  '(units >= 0) AND ((per_customer_limit IS NULL) OR (units <= per_customer_limit))',
)
export class ShopFlashHold {
  @PrimaryColumn({ name: 'stream_product_id', type: 'uuid' })
  @ForeignKey('StreamProduct', { name: 'shop_flash_holds_stream_product_id_fkey' })
  streamProductId!: string;

  @PrimaryColumn({ name: 'buyer_id', type: 'uuid' })
  @ForeignKey('User', { name: 'shop_flash_holds_buyer_id_fkey' })
  buyerId!: string;

  @Column({ type: 'integer' })
  units!: number;

  @Column({ name: 'per_customer_limit', type: 'integer', nullable: true })
  perCustomerLimit!: number | null;
}
