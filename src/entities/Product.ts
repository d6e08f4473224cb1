import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** A seller's catalog product. Prices are integers in minor units of SHOP_CURRENCY. */
@Entity({ name: 'products' })
@Check('products_price_check', 'price > 0')
@Check('products_stock_check', 'stock >= 0')
// (seller_id, created_at DESC) in the migration: TypeORM does not declare a column's sort order
@Index('products_seller', ['sellerId', 'createdAt'])
export class Product {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'seller_id', type: 'uuid' })
  @ForeignKey('User', { name: 'products_seller_id_fkey' })
  sellerId!: string;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ type: 'varchar', length: 2000, default: '' })
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
