import { Check, Column, Entity, ForeignKey, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * A product offered in one shopping stream. `remaining` (and `flash_remaining`) are the
 * database's guard against overselling: orders decrement them only while they stay >= 0.
 */
@Entity({ name: 'stream_products' })
@Check('stream_products_check', '(remaining >= 0) AND (remaining <= offered)')
@Check('stream_products_flash_price_check', 'flash_price > 0')
@Check('stream_products_flash_quantity_check', 'flash_quantity > 0')
@Check('stream_products_flash_remaining_check', 'flash_remaining >= 0')
@Check('stream_products_live_price_check', 'live_price > 0')
@Check('stream_products_offered_check', 'offered >= 0')
@Check('stream_products_per_customer_limit_check', 'per_customer_limit > 0')
@Unique('stream_products_session_id_product_id_key', ['sessionId', 'productId'])
export class StreamProduct {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  @ForeignKey('ShoppingSession', { name: 'stream_products_session_id_fkey' })
  sessionId!: string;

  @Column({ name: 'product_id', type: 'uuid' })
  @ForeignKey('Product', { name: 'stream_products_product_id_fkey' })
  productId!: string;

  @Column({ name: 'live_price', type: 'integer' })
  livePrice!: number;

  @Column({ type: 'integer' })
  offered!: number;

  @Column({ type: 'integer' })
  remaining!: number;

  @Column({ name: 'flash_price', type: 'integer', nullable: true })
  flashPrice!: number | null;

  @Column({ name: 'flash_quantity', type: 'integer', nullable: true })
  flashQuantity!: number | null;

  @Column({ name: 'flash_remaining', type: 'integer', nullable: true })
  flashRemaining!: number | null;

  @Column({ name: 'flash_ends_at', type: 'timestamptz', nullable: true })
  flashEndsAt!: Date | null;

  @Column({ name: 'per_customer_limit', type: 'integer', nullable: true })
  perCustomerLimit!: number | null;

  @Column({ type: 'integer', default: 0 })
  views!: number;

  @Column({ type: 'integer', default: 0 })
  clicks!: number;

  @Column({ name: 'cart_adds', type: 'integer', default: 0 })
  cartAdds!: number;
}
