import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `pk_record_gifts`: a batch of gifts committed in one statement (one round trip instead of eight:
 * begin, prior lookup, debit, ledger, gift rows, credit, ledger, commit — each of which waited behind the
 * server's event loop and a shared CPU). PkStore.recordGifts computes every figure (coins, the host/platform
 * split from splitGift, ledger keys, references) and passes the batch, without in-batch duplicates, as
 * arrays; this does what the eight statements did, in the same order:
 *
 * 1. a gift whose (battle, sender, request id) is already recorded is a replay: its stored row and the
 *    sender's balance now;
 * 2. debits per sender in id order (concurrent batches lock users in the same order), the sender's gifts in
 *    batch order: one conditional UPDATE when the sender can pay for all of them, else one per gift, so a
 *    gift the balance does not cover is refused alone ('short') and the others are paid;
 * 3. a ledger row per paid debit (balance after each, in order), the gift rows, then the hosts' credits (one
 *    UPDATE per host, id order) and a ledger row per credit; a host row that is gone raises P0002 and the
 *    statement, the whole batch, is undone (the caller retries gift by gift).
 *
 * Returns one row per gift: k (1-based position in the arrays), outcome 'prior' | 'paid' | 'short', the
 * balance, and for a prior the stored gift's figures. A unique violation (a concurrent twin committed the
 * same gift) undoes the statement; the caller retries and finds the twin's row.
 */
export class GiftCommitFunction1764001400000 implements MigrationInterface {
  name = 'GiftCommitFunction1764001400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION pk_record_gifts(
        a_battle uuid[], a_sender uuid[], a_recipient uuid[], a_gift text[], a_count int[], a_coins bigint[],
        a_host bigint[], a_platform bigint[], a_request text[], a_reference text[], a_debit_key text[], a_credit_key text[]
      ) RETURNS TABLE (
        o_k int, o_outcome text, o_balance bigint, o_gift_id text, o_count int, o_coins bigint, o_host_coins bigint,
        o_platform_coins bigint, o_recipient_id uuid
      ) LANGUAGE plpgsql AS $fn$
      DECLARE
        n int := coalesce(array_length(a_battle, 1), 0);
        st text[] := array_fill('new'::text, ARRAY[n]);
        bal bigint[] := array_fill(NULL::bigint, ARRAY[n]);
        debited int[] := '{}';
        credited int[] := '{}';
        credit_bal bigint[] := '{}';
        rec record;
        i int;
        after bigint;
        running bigint;
      BEGIN
        IF n = 0 THEN RETURN; END IF;
        -- 1. Replays: recorded before (a retry), the first result with the sender's balance now.
        FOR rec IN
          SELECT x.k, g.gift_id, g.count, g.coins, g.host_coins, g.platform_coins, g.recipient_id, u.coins AS balance
          FROM unnest(a_battle, a_sender, a_request) WITH ORDINALITY AS x(battle_id, sender_id, request_id, k)
          JOIN pk_battle_gifts g ON g.battle_id = x.battle_id AND g.sender_id = x.sender_id AND g.request_id = x.request_id
          JOIN users u ON u.id = g.sender_id
        LOOP
          st[rec.k] := 'prior';
          o_k := rec.k; o_outcome := 'prior'; o_balance := rec.balance; o_gift_id := rec.gift_id;
          o_count := rec.count; o_coins := rec.coins; o_host_coins := rec.host_coins;
          o_platform_coins := rec.platform_coins; o_recipient_id := rec.recipient_id;
          RETURN NEXT;
        END LOOP;
        -- 2. Debits, per sender in id order; the sender's gifts in batch order.
        FOR rec IN
          SELECT x.sender_id, array_agg(x.k::int ORDER BY x.k) AS ks, sum(x.amount)::bigint AS due
          FROM unnest(a_sender, a_coins) WITH ORDINALITY AS x(sender_id, amount, k)
          WHERE st[x.k] = 'new'
          GROUP BY x.sender_id ORDER BY x.sender_id
        LOOP
          UPDATE users SET coins = users.coins - rec.due, updated_at = now()
            WHERE users.id = rec.sender_id AND users.coins >= rec.due RETURNING users.coins INTO after;
          IF FOUND THEN
            running := after + rec.due;
            FOREACH i IN ARRAY rec.ks LOOP
              running := running - a_coins[i];
              st[i] := 'paid'; bal[i] := running; debited := debited || i;
            END LOOP;
          ELSE
            FOREACH i IN ARRAY rec.ks LOOP
              UPDATE users SET coins = users.coins - a_coins[i], updated_at = now()
                WHERE users.id = rec.sender_id AND users.coins >= a_coins[i] RETURNING users.coins INTO after;
              IF FOUND THEN
                st[i] := 'paid'; bal[i] := after; debited := debited || i;
              ELSE
                st[i] := 'short';
              END IF;
            END LOOP;
          END IF;
        END LOOP;
        IF cardinality(debited) > 0 THEN
          -- 3. The debits' ledger rows, the gift rows, the hosts' credits and their ledger rows.
          INSERT INTO ledger_entries (user_id, amount, balance_after, reason, reference, idempotency_key)
            SELECT a_sender[d.i], -a_coins[d.i], bal[d.i], 'pk_gift', a_reference[d.i], a_debit_key[d.i]
            FROM unnest(debited) WITH ORDINALITY AS d(i, o) ORDER BY d.o;
          INSERT INTO pk_battle_gifts (battle_id, sender_id, recipient_id, gift_id, count, coins, host_coins, platform_coins, request_id)
            SELECT a_battle[j], a_sender[j], a_recipient[j], a_gift[j], a_count[j], a_coins[j], a_host[j], a_platform[j], a_request[j]
            FROM generate_subscripts(a_battle, 1) AS j WHERE st[j] = 'paid' ORDER BY j;
          FOR rec IN
            SELECT x.recipient_id, array_agg(x.k::int ORDER BY x.k) AS ks, sum(x.amount)::bigint AS due
            FROM unnest(a_recipient, a_host) WITH ORDINALITY AS x(recipient_id, amount, k)
            WHERE st[x.k] = 'paid' AND x.amount > 0
            GROUP BY x.recipient_id ORDER BY x.recipient_id
          LOOP
            UPDATE users SET coins = users.coins + rec.due, updated_at = now()
              WHERE users.id = rec.recipient_id RETURNING users.coins INTO after;
            IF NOT FOUND THEN
              RAISE EXCEPTION 'User not found' USING ERRCODE = 'P0002';
            END IF;
            running := after - rec.due;
            FOREACH i IN ARRAY rec.ks LOOP
              running := running + a_host[i];
              credited := credited || i; credit_bal := credit_bal || running;
            END LOOP;
          END LOOP;
          IF cardinality(credited) > 0 THEN
            INSERT INTO ledger_entries (user_id, amount, balance_after, reason, reference, idempotency_key)
              SELECT a_recipient[c.i], a_host[c.i], credit_bal[c.o], 'pk_gift_earning', a_reference[c.i], a_credit_key[c.i]
              FROM unnest(credited) WITH ORDINALITY AS c(i, o) ORDER BY c.o;
          END IF;
        END IF;
        -- 4. The outcome of every gift that was not a replay.
        FOR i IN 1..n LOOP
          CONTINUE WHEN st[i] = 'prior';
          o_k := i; o_outcome := st[i]; o_balance := bal[i]; o_gift_id := NULL; o_count := NULL; o_coins := NULL;
          o_host_coins := NULL; o_platform_coins := NULL; o_recipient_id := NULL;
          RETURN NEXT;
        END LOOP;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'DROP FUNCTION pk_record_gifts(uuid[], uuid[], uuid[], text[], int[], bigint[], bigint[], bigint[], text[], text[], text[], text[])',
    );
  }
}
