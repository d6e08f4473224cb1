import { Check, Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** The gift catalog: what viewers can send in a PK battle, and its price in coins. */
@Entity({ name: 'gifts' })
@Check('gifts_coins_check', 'coins > 0')
export class Gift {
  /** A stable slug, e.g. `rose`. */
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ type: 'varchar', length: 60 })
  name!: string;

  @Column({ type: 'integer' })
  coins!: number;

  @Column({ name: 'animation_key', type: 'varchar', length: 60 })
  animationKey!: string;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
