import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { bigintNumber } from './columns';

@Entity({ name: 'users' })
@Check('users_coins_check', 'coins >= 0')
// UNIQUE INDEX users_username_lower_key ON users USING btree (lower((username)::text)) (in the migration: TypeORM cannot declare an expression index)
@Index('users_username_lower_key', { synchronize: false })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Unique case-insensitively (index on lower(username) in the migration). */
  @Column({ type: 'varchar', length: 32 })
  username!: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  /** Current balance; only the wallet store changes it, always with a ledger row. */
  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  coins!: number;

  @Column({ type: 'integer', default: 0 })
  experience!: number;

  @Column({ type: 'integer', default: 1 })
  level!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
