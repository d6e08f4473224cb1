import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A host held by a pending or live battle. The primary key makes "one battle at a time"
 * hold across processes: a second battle's insert for the same user fails.
 */
@Entity({ name: 'pk_active_hosts' })
export class PkActiveHost {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'battle_id', type: 'uuid' })
  battleId!: string;
}
