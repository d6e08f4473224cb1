import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';

/**
 * A host held by a pending or live battle. The primary key makes "one battle at a time"
 * hold across processes: a second battle's insert for the same user fails.
 */
@Entity({ name: 'pk_active_hosts' })
export class PkActiveHost {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  @ForeignKey('User', { name: 'pk_active_hosts_user_id_fkey' })
  userId!: string;

  @Column({ name: 'battle_id', type: 'uuid' })
  @ForeignKey('PkBattle', { name: 'pk_active_hosts_battle_id_fkey' })
  battleId!: string;
}
