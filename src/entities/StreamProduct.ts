import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A product offered in one shopping stream. `remaining` (and `flash_remaining`) are the
 * database's guard against overselling: orders decrement them only while they stay >= 0.
 */
@Entity({ name: 'stream_products' })
export class StreamProduct {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  @Column({ name: 'product_id', type: 'uuid' })
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
