import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/** One use of a voucher by an order; removed again if the order's reservation is released. */
@Entity({ name: 'voucher_uses' })
@Index('voucher_uses_user', ['voucherId', 'userId'])
export class VoucherUse {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  @ForeignKey('ShopOrder', { name: 'voucher_uses_order_id_fkey' })
  orderId!: string;

  @Column({ name: 'voucher_id', type: 'uuid' })
  @ForeignKey('Voucher', { name: 'voucher_uses_voucher_id_fkey' })
  voucherId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  @ForeignKey('User', { name: 'voucher_uses_user_id_fkey' })
  userId!: string;
}
