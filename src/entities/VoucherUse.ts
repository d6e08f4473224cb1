import { Entity, PrimaryColumn, Column } from 'typeorm';

/** One use of a voucher by an order; removed again if the order's reservation is released. */
@Entity({ name: 'voucher_uses' })
export class VoucherUse {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column({ name: 'voucher_id', type: 'uuid' })
  voucherId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;
}
