import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One accepted gift: written in the same transaction as the sender's debit and the host's credit. */
@Entity({ name: 'pk_battle_gifts' })
@Check('pk_battle_gifts_check', '(host_coins + platform_coins) = coins')
@Check('pk_battle_gifts_coins_check', 'coins > 0')
@Check('pk_battle_gifts_count_check', 'count > 0')
@Check('pk_battle_gifts_host_coins_check', 'host_coins >= 0')
@Check('pk_battle_gifts_platform_coins_check', 'platform_coins >= 0')
@Index('pk_battle_gifts_request', ['battleId', 'senderId', 'requestId'], { unique: true })
export class PkBattleGift {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'battle_id', type: 'uuid' })
  @ForeignKey('PkBattle', { name: 'pk_battle_gifts_battle_id_fkey' })
  battleId!: string;

  @Column({ name: 'sender_id', type: 'uuid' })
  @ForeignKey('User', { name: 'pk_battle_gifts_sender_id_fkey' })
  senderId!: string;

  @Column({ name: 'recipient_id', type: 'uuid' })
  @ForeignKey('User', { name: 'pk_battle_gifts_recipient_id_fkey' })
  recipientId!: string;

  @Column({ name: 'gift_id', type: 'varchar', length: 40 })
  @ForeignKey('Gift', { name: 'pk_battle_gifts_gift_id_fkey' })
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
