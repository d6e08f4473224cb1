import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A discount code of one stream. `uses` never passes `usage_limit` (a CHECK and a conditional UPDATE). */
@Entity({ name: 'vouchers' })
@Check('vouchers_check', '(uses >= 0) AND (uses <= usage_limit)')
@Check('vouchers_per_user_limit_check', 'per_user_limit > 0')
@Check('vouchers_type_check', "type IN ('percent', 'fixed')")
@Check('vouchers_usage_limit_check', 'usage_limit > 0')
@Check('vouchers_value_check', 'value > 0')
// UNIQUE INDEX vouchers_code ON vouchers USING btree (session_id, lower((code)::text)) (in the migration: TypeORM cannot declare an expression index)
@Index('vouchers_code', { synchronize: false })
export class Voucher {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  @ForeignKey('ShoppingSession', { name: 'vouchers_session_id_fkey' })
  sessionId!: string;

  @Column({ type: 'varchar', length: 40 })
  code!: string;

  /** percent | fixed */
  @Column({ type: 'varchar', length: 8 })
  type!: string;

  @Column({ type: 'integer' })
  value!: number;

  @Column({ name: 'usage_limit', type: 'integer' })
  usageLimit!: number;

  @Column({ name: 'per_user_limit', type: 'integer' })
  perUserLimit!: number;

  @Column({ name: 'min_order_amount', type: 'integer', default: 0 })
  minOrderAmount!: number;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'product_ids', type: 'jsonb', nullable: true })
  productIds!: string[] | null;

  @Column({ type: 'boolean', default: false })
  private!: boolean;

  @Column({ type: 'integer', default: 0 })
  uses!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
