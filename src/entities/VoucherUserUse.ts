import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';

/** Uses of a voucher by one user: a counter row whose CHECK keeps it within the voucher's per-user limit. */
@Entity({ name: 'voucher_user_uses' })
@Check('voucher_user_uses_within_limit', '(uses >= 0) AND (uses <= per_user_limit)')
export class VoucherUserUse {
  @PrimaryColumn({ name: 'voucher_id', type: 'uuid' })
  @ForeignKey('Voucher', { name: 'voucher_user_uses_voucher_id_fkey' })
  voucherId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  @ForeignKey('User', { name: 'voucher_user_uses_user_id_fkey' })
  userId!: string;

  @Column({ type: 'integer' })
  uses!: number;

  @Column({ name: 'per_user_limit', type: 'integer' })
  perUserLimit!: number;
}
