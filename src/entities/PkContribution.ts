import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './columns';

/** What one viewer gave to one side of a battle, persisted when the battle ends. */
@Entity({ name: 'pk_contributions' })
export class PkContribution {
  @PrimaryColumn({ name: 'battle_id', type: 'uuid' })
  @ForeignKey('PkBattle', { name: 'pk_contributions_battle_id_fkey' })
  battleId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  @ForeignKey('User', { name: 'pk_contributions_user_id_fkey' })
  userId!: string;

  @PrimaryColumn({ name: 'host_id', type: 'uuid' })
  hostId!: string;

  @Column({ type: 'bigint', transformer: bigintNumber })
  coins!: number;

  @Column({ type: 'integer' })
  gifts!: number;
}
