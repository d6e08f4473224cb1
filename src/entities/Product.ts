import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A seller's catalog product. Prices are integers in minor units of SHOP_CURRENCY. */
@Entity({ name: 'products' })
export class Product {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'seller_id', type: 'uuid' })
  sellerId!: string;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ type: 'varchar', length: 2000 })
  description!: string;

  @Column({ type: 'integer' })
  price!: number;

  /** Units in the catalog not yet offered to a stream. */
  @Column({ type: 'integer' })
  stock!: number;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  images!: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
