import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/** An order placed in a stream: reserved (stock held) → paid, or released when unpaid in time. */
@Entity({ name: 'shop_orders' })
@Check('shop_orders_quantity_check', 'quantity > 0')
@Check('shop_orders_total_check', 'total >= 0')
@Index('shop_orders_idempotency', ['buyerId', 'idempotencyKey'], { unique: true })
// INDEX shop_orders_performance ON shop_orders USING btree (created_at) INCLUDE (session_id, total, quantity) WHERE ((status)::text <> 'released'::text) (in the migration: TypeORM cannot declare an INCLUDE index)
@Index('shop_orders_performance', { synchronize: false })
@Index('shop_orders_reserved', ['expiresAt'], { where: "(status)::text = 'reserved'::text" })
@Index('shop_orders_session', ['sessionId', 'status'])
export class ShopOrder {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  @ForeignKey('ShoppingSession', { name: 'shop_orders_session_id_fkey' })
  sessionId!: string;

  @Column({ name: 'stream_product_id', type: 'uuid' })
  @ForeignKey('StreamProduct', { name: 'shop_orders_stream_product_id_fkey' })
  streamProductId!: string;

  @Column({ name: 'product_id', type: 'uuid' })
  @ForeignKey('Product', { name: 'shop_orders_product_id_fkey' })
  productId!: string;

  @Column({ name: 'buyer_id', type: 'uuid' })
  @ForeignKey('User', { name: 'shop_orders_buyer_id_fkey' })
  buyerId!: string;

  @Column({ type: 'integer' })
  quantity!: number;

  @Column({ name: 'unit_price', type: 'integer' })
  unitPrice!: number;

  @Column({ type: 'integer', default: 0 })
  discount!: number;

  @Column({ type: 'integer' })
  total!: number;

  @Column({ type: 'boolean' })
  flash!: boolean;

  @Column({ name: 'voucher_id', type: 'uuid', nullable: true })
  @ForeignKey('Voucher', { name: 'shop_orders_voucher_id_fkey' })
  voucherId!: string | null;

  /** reserved | paid | released */
  @Column({ type: 'varchar', length: 16 })
  status!: string;

  /** Unique per buyer: the same key twice is the same order. */
  @Column({ name: 'idempotency_key', type: 'varchar', length: 128 })
  idempotencyKey!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'paid_at', type: 'timestamptz', nullable: true })
  paidAt!: Date | null;

  @Column({ name: 'released_at', type: 'timestamptz', nullable: true })
  releasedAt!: Date | null;
}
