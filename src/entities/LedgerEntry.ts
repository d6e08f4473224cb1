import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './columns';

/** Append-only: one row per coin movement of one user. Never updated, never deleted. */
@Entity({ name: 'ledger_entries' })
@Index('ledger_entries_user_key', ['userId', 'idempotencyKey'], { unique: true })
@Index('ledger_entries_user_recent', ['userId', 'id'])
@Index('ledger_entries_reference', ['reference'])
@Check('ledger_entries_amount_check', 'amount <> 0')
@Check('ledger_entries_balance_after_check', 'balance_after >= 0')
export class LedgerEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  @ForeignKey('User', { name: 'ledger_entries_user_id_fkey' })
  userId!: string;

  /** Positive for a credit, negative for a debit. */
  @Column({ type: 'bigint', transformer: bigintNumber })
  amount!: number;

  @Column({ name: 'balance_after', type: 'bigint', transformer: bigintNumber })
  balanceAfter!: number;

  @Column({ type: 'varchar', length: 64 })
  reason!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  reference!: string | null;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 200 })
  idempotencyKey!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
