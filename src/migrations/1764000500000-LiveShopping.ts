import type { MigrationInterface, QueryRunner } from 'typeorm';

export class LiveShopping1764000500000 implements MigrationInterface {
  name = 'LiveShopping1764000500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE products (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seller_id uuid NOT NULL REFERENCES users(id),
        name varchar(120) NOT NULL,
        description varchar(2000) NOT NULL DEFAULT '',
        price integer NOT NULL CHECK (price > 0),
        stock integer NOT NULL CHECK (stock >= 0),
        images jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX products_seller ON products (seller_id, created_at DESC)');
    await q.query(`
      CREATE TABLE shopping_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        room_id varchar(64),
        seller_id uuid NOT NULL REFERENCES users(id),
        title varchar(120) NOT NULL,
        description varchar(2000) NOT NULL DEFAULT '',
        status varchar(16) NOT NULL,
        analytics jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        ended_at timestamptz
      )`);
    await q.query('CREATE INDEX shopping_sessions_status ON shopping_sessions (status, created_at DESC)');
    await q.query(`
      CREATE TABLE stream_products (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES shopping_sessions(id),
        product_id uuid NOT NULL REFERENCES products(id),
        live_price integer NOT NULL CHECK (live_price > 0),
        offered integer NOT NULL CHECK (offered >= 0),
        remaining integer NOT NULL CHECK (remaining >= 0 AND remaining <= offered),
        flash_price integer CHECK (flash_price > 0),
        flash_quantity integer CHECK (flash_quantity > 0),
        flash_remaining integer CHECK (flash_remaining >= 0),
        flash_ends_at timestamptz,
        per_customer_limit integer CHECK (per_customer_limit > 0),
        views integer NOT NULL DEFAULT 0,
        clicks integer NOT NULL DEFAULT 0,
        cart_adds integer NOT NULL DEFAULT 0,
        UNIQUE (session_id, product_id)
      )`);
    await q.query(`
      CREATE TABLE vouchers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES shopping_sessions(id),
        code varchar(40) NOT NULL,
        type varchar(8) NOT NULL CHECK (type IN ('percent', 'fixed')),
        value integer NOT NULL CHECK (value > 0),
        usage_limit integer NOT NULL CHECK (usage_limit > 0),
        per_user_limit integer NOT NULL CHECK (per_user_limit > 0),
        min_order_amount integer NOT NULL DEFAULT 0,
        expires_at timestamptz,
        product_ids jsonb,
        private boolean NOT NULL DEFAULT false,
        uses integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (uses >= 0 AND uses <= usage_limit)
      )`);
    await q.query('CREATE UNIQUE INDEX vouchers_code ON vouchers (session_id, lower(code))');
    await q.query(`
      CREATE TABLE shop_orders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES shopping_sessions(id),
        stream_product_id uuid NOT NULL REFERENCES stream_products(id),
        product_id uuid NOT NULL REFERENCES products(id),
        buyer_id uuid NOT NULL REFERENCES users(id),
        quantity integer NOT NULL CHECK (quantity > 0),
        unit_price integer NOT NULL,
        discount integer NOT NULL DEFAULT 0,
        total integer NOT NULL CHECK (total >= 0),
        flash boolean NOT NULL,
        voucher_id uuid REFERENCES vouchers(id),
        status varchar(16) NOT NULL,
        idempotency_key varchar(128) NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        paid_at timestamptz,
        released_at timestamptz
      )`);
    await q.query('CREATE UNIQUE INDEX shop_orders_idempotency ON shop_orders (buyer_id, idempotency_key)');
    await q.query('CREATE INDEX shop_orders_session ON shop_orders (session_id, status)');
    await q.query(`CREATE INDEX shop_orders_reserved ON shop_orders (expires_at) WHERE status = 'reserved'`);
    await q.query(`
      CREATE TABLE voucher_uses (
        order_id uuid PRIMARY KEY REFERENCES shop_orders(id),
        voucher_id uuid NOT NULL REFERENCES vouchers(id),
        user_id uuid NOT NULL REFERENCES users(id)
      )`);
    await q.query('CREATE INDEX voucher_uses_user ON voucher_uses (voucher_id, user_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['voucher_uses', 'shop_orders', 'vouchers', 'stream_products', 'shopping_sessions', 'products']) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
