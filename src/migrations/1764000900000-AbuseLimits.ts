import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Limits that must hold in the database, not in one room's memory (issue 9): each is a counter
 * row with a CHECK, incremented in the order's own statement (an upsert locks the row, so two
 * processes cannot both pass), given back when a reservation is released.
 * - voucher_user_uses: uses of a voucher per user, <= the voucher's per_user_limit.
 * - shop_flash_holds: flash-sale units a buyer holds per stream product, <= per_customer_limit.
 * - shop_buyer_reserved: unpaid reserved units per buyer per session, <= SHOP_MAX_RESERVED_PER_BUYER.
 * Also an index for the top-performers read (orders by time, not released).
 */
export class AbuseLimits1764000900000 implements MigrationInterface {
  name = 'AbuseLimits1764000900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE voucher_user_uses (
        voucher_id uuid NOT NULL REFERENCES vouchers(id),
        user_id uuid NOT NULL REFERENCES users(id),
        uses integer NOT NULL,
        per_user_limit integer NOT NULL,
        PRIMARY KEY (voucher_id, user_id),
        CONSTRAINT voucher_user_uses_within_limit CHECK (uses >= 0 AND uses <= per_user_limit)
      )`);
    await q.query(`
      INSERT INTO voucher_user_uses (voucher_id, user_id, uses, per_user_limit)
      SELECT vu.voucher_id, vu.user_id, count(*)::int, greatest(max(v.per_user_limit), count(*)::int)
        FROM voucher_uses vu JOIN vouchers v ON v.id = vu.voucher_id GROUP BY vu.voucher_id, vu.user_id`);
    await q.query(`
      CREATE TABLE shop_flash_holds (
        stream_product_id uuid NOT NULL REFERENCES stream_products(id),
        buyer_id uuid NOT NULL REFERENCES users(id),
        units integer NOT NULL,
        per_customer_limit integer,
        PRIMARY KEY (stream_product_id, buyer_id),
        CONSTRAINT shop_flash_holds_within_limit CHECK (units >= 0 AND (per_customer_limit IS NULL OR units <= per_customer_limit))
      )`);
    await q.query(`
      INSERT INTO shop_flash_holds (stream_product_id, buyer_id, units, per_customer_limit)
      SELECT o.stream_product_id, o.buyer_id, sum(o.quantity)::int, NULL
        FROM shop_orders o WHERE o.flash AND o.status <> 'released' GROUP BY o.stream_product_id, o.buyer_id`);
    await q.query(`
      CREATE TABLE shop_buyer_reserved (
        session_id uuid NOT NULL REFERENCES shopping_sessions(id),
        buyer_id uuid NOT NULL REFERENCES users(id),
        units integer NOT NULL,
        cap integer NOT NULL,
        PRIMARY KEY (session_id, buyer_id),
        CONSTRAINT shop_buyer_reserved_within_cap CHECK (units >= 0 AND units <= cap)
      )`);
    await q.query(`
      INSERT INTO shop_buyer_reserved (session_id, buyer_id, units, cap)
      SELECT o.session_id, o.buyer_id, sum(o.quantity)::int, sum(o.quantity)::int
        FROM shop_orders o WHERE o.status = 'reserved' GROUP BY o.session_id, o.buyer_id`);
    await q.query(
      `CREATE INDEX shop_orders_performance ON shop_orders (created_at) INCLUDE (session_id, total, quantity) WHERE status <> 'released'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS shop_orders_performance');
    for (const t of ['shop_buyer_reserved', 'shop_flash_holds', 'voucher_user_uses']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
