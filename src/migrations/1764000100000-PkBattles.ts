import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PkBattles1764000100000 implements MigrationInterface {
  name = 'PkBattles1764000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE gifts (
        id varchar(40) PRIMARY KEY,
        name varchar(60) NOT NULL,
        coins integer NOT NULL CHECK (coins > 0),
        animation_key varchar(60) NOT NULL,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE pk_battles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        room_id varchar(64),
        host_a uuid NOT NULL REFERENCES users(id),
        host_b uuid NOT NULL REFERENCES users(id),
        duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 10),
        status varchar(16) NOT NULL,
        score_a bigint NOT NULL DEFAULT 0,
        score_b bigint NOT NULL DEFAULT 0,
        winner_id uuid,
        end_reason varchar(16),
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        ends_at timestamptz,
        ended_at timestamptz,
        CHECK (host_a <> host_b)
      )`);
    await q.query('CREATE INDEX pk_battles_status ON pk_battles (status, created_at DESC)');
    await q.query('CREATE INDEX pk_battles_host_a ON pk_battles (host_a, created_at DESC)');
    await q.query('CREATE INDEX pk_battles_host_b ON pk_battles (host_b, created_at DESC)');
    await q.query(`
      CREATE TABLE pk_active_hosts (
        user_id uuid PRIMARY KEY REFERENCES users(id),
        battle_id uuid NOT NULL REFERENCES pk_battles(id)
      )`);
    await q.query(`
      CREATE TABLE pk_battle_gifts (
        id bigserial PRIMARY KEY,
        battle_id uuid NOT NULL REFERENCES pk_battles(id),
        sender_id uuid NOT NULL REFERENCES users(id),
        recipient_id uuid NOT NULL REFERENCES users(id),
        gift_id varchar(40) NOT NULL REFERENCES gifts(id),
        count integer NOT NULL CHECK (count > 0),
        coins integer NOT NULL CHECK (coins > 0),
        host_coins integer NOT NULL CHECK (host_coins >= 0),
        platform_coins integer NOT NULL CHECK (platform_coins >= 0),
        request_id varchar(128) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (host_coins + platform_coins = coins)
      )`);
    await q.query('CREATE UNIQUE INDEX pk_battle_gifts_request ON pk_battle_gifts (battle_id, sender_id, request_id)');
    await q.query(`
      CREATE TABLE pk_host_results (
        battle_id uuid NOT NULL REFERENCES pk_battles(id),
        user_id uuid NOT NULL REFERENCES users(id),
        opponent_id uuid NOT NULL,
        result varchar(8) NOT NULL,
        points bigint NOT NULL,
        opponent_points bigint NOT NULL,
        reward_coins integer NOT NULL,
        reward_xp integer NOT NULL,
        ended_at timestamptz NOT NULL,
        PRIMARY KEY (battle_id, user_id)
      )`);
    await q.query('CREATE INDEX pk_host_results_period ON pk_host_results (ended_at, user_id)');
    await q.query('CREATE INDEX pk_host_results_user ON pk_host_results (user_id, ended_at DESC)');
    await q.query(`
      CREATE TABLE pk_contributions (
        battle_id uuid NOT NULL REFERENCES pk_battles(id),
        user_id uuid NOT NULL REFERENCES users(id),
        host_id uuid NOT NULL,
        coins bigint NOT NULL,
        gifts integer NOT NULL,
        PRIMARY KEY (battle_id, user_id, host_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'pk_contributions',
      'pk_host_results',
      'pk_battle_gifts',
      'pk_active_hosts',
      'pk_battles',
      'gifts',
    ]) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
