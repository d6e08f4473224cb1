import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One accepted gift: written in the same transaction as the sender's debit and the host's credit. */
@Entity({ name: 'pk_battle_gifts' })
export class PkBattleGift {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'battle_id', type: 'uuid' })
  battleId!: string;

  @Column({ name: 'sender_id', type: 'uuid' })
  senderId!: string;

  @Column({ name: 'recipient_id', type: 'uuid' })
  recipientId!: string;

  @Column({ name: 'gift_id', type: 'varchar', length: 40 })
  giftId!: string;

  @Column({ type: 'integer' })
  count!: number;

  /** What the sender paid: added to the recipient's score. */
  @Column({ type: 'integer' })
  coins!: number;

  @Column({ name: 'host_coins', type: 'integer' })
  hostCoins!: number;

  @Column({ name: 'platform_coins', type: 'integer' })
  platformCoins!: number;

  /** Unique per battle and sender: a retry is the same gift. */
  @Column({ name: 'request_id', type: 'varchar', length: 128 })
  requestId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
