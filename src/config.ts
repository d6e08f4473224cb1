/**
 * The one module that reads process.env. Every setting is declared here with its
 * default, validated at start; a bad value stops the process with a message that
 * names the variable. Feature settings live in their own section below.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
const ratio = (def: number) => z.coerce.number().min(0).max(1).default(def);
const optionalUrl = z.string().url().optional();
export const DEFAULT_STUN_SERVER_URL = 'stun:stun.l.google.com:19302';

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(2567, 0, 65535),
  HOST: z.string().default('0.0.0.0'),
  /** Address other processes use to reach this one (required per process with REDIS_URL). */
  PUBLIC_ADDRESS: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // --- persistence -------------------------------------------------------
  DATABASE_URL: optionalUrl,
  /** Folder of the embedded PostgreSQL used when DATABASE_URL is unset. */
  EMBEDDED_PG_DIR: z.string().default('.data/postgres'),
  /** Throw the embedded database away on stop (tests). */
  EMBEDDED_PG_EPHEMERAL: bool.default(false),
  DATABASE_POOL_SIZE: int(20, 1, 500),
  /** PostgreSQL schema to use (tests isolate runs with a private schema). */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('public'),
  REDIS_URL: optionalUrl,
  /** Where a development server keeps what it generates on first start (secrets.json). */
  DATA_DIR: z.string().default('.data'),
  /** Registers the load-test `counter` room (loadtest/ sets it; never in production). */
  LOADTEST_ROOMS: bool.default(false),

  // --- auth --------------------------------------------------------------
  JWT_SECRET: z.string().min(16).optional(),
  JWT_TTL_SECONDS: int(3600, 60, 30 * 24 * 3600),
  /** scrypt cost (N = 2^cost). 14 = 16 MiB, ~40 ms; lower only for load tests. */
  PASSWORD_HASH_COST: int(14, 10, 20),
  OPERATOR_USERNAME: z.string().default('admin'),
  OPERATOR_PASSWORD: z.string().min(8).optional(),
  /** Credentials of the shop's payment side (POST /api/live-shopping/orders/:id/paid). */
  SERVICE_API_KEY: z.string().min(16).optional(),
  CORS_ORIGIN: z.string().default('*'),

  // --- coins -------------------------------------------------------------
  SIGNUP_COINS: int(1000, 0),

  // --- rate limits (per client IP, per window) -----------------------------
  RATE_LIMIT_WINDOW_MS: int(60_000, 1000),
  RATE_LIMIT_AUTH_MAX: int(20, 1),
  RATE_LIMIT_WRITE_MAX: int(600, 1),
  /** GET requests per user (or IP) per window under /api. */
  RATE_LIMIT_READ_MAX: int(1200, 1),
  /** Failed operator (Basic) logins per IP per window before 429. */
  OPERATOR_AUTH_MAX_FAILURES: int(10, 1),
  /** Per-client token bucket for room messages: sustained rate (per second) and burst (bucket size). */
  ROOM_MESSAGE_RATE: int(50, 1),
  ROOM_MESSAGE_BURST: int(300, 1),
  /** Clients per room (every room type); a full room refuses joins. */
  ROOM_MAX_CLIENTS: int(5000, 2, 100_000),

  // --- PK battles ----------------------------------------------------------
  PK_INVITE_TIMEOUT_MS: int(60_000, 1000),
  /** Battles one user may create (invite to) per rolling hour, counted in the database. */
  PK_INVITES_PER_HOUR: int(20, 1),
  /** Rewards need both hosts present this share of the battle (or a gift from a viewer). */
  PK_MIN_PRESENCE: ratio(0.5),
  /** Length of one battle minute; only tests and demos shorten it. */
  PK_MINUTE_MS: int(60_000, 100),
  PK_COUNTDOWN_MS: int(3000, 0),
  PK_RESULT_PHASE_MS: int(10_000, 0),
  PK_RECONNECT_GRACE_MS: int(30_000, 0),
  /** Share of a gift's coins credited to the receiving host; the rest is the platform's. */
  PK_HOST_SHARE: ratio(0.7),
  /**
   * Under sustained load a gift batch starts at most this often (ms), and each battle announces its
   * committed gifts once per batch: the score cadence viewers see (0: batches back to back).
   */
  PK_GIFT_COMMIT_PACE_MS: int(100, 0, 1000),
  PK_WINNER_REWARD_COINS: int(100, 0),
  PK_DRAW_REWARD_COINS: int(50, 0),
  PK_WINNER_XP: int(100, 0),
  PK_LOSER_XP: int(30, 0),
  PK_DRAW_XP: int(50, 0),

  // --- live shopping -------------------------------------------------------
  SHOP_CURRENCY: z.string().length(3).default('USD'),
  SHOP_RESERVATION_TTL_MS: int(15 * 60_000, 1000),
  /** Units one buyer may hold reserved (unpaid) per shopping session, enforced in the database (default: one largest order). */
  SHOP_MAX_RESERVED_PER_BUYER: int(100, 1),

  // --- multi-host / WebRTC -------------------------------------------------
  MULTIHOST_RECONNECT_GRACE_MS: int(30_000, 0),
  /** A multi-host invitation or join request nobody answers expires after this. */
  MULTIHOST_INVITE_TIMEOUT_MS: int(300_000, 1000),
  /** A solo stream's host may reconnect within this before the stream ends. */
  STREAM_RECONNECT_GRACE_MS: int(30_000, 0),
  /** The seed's public STUN server by default; `none` for no STUN (tests, closed networks). */
  STUN_SERVER_URL: z
    .string()
    .default(DEFAULT_STUN_SERVER_URL)
    .transform((v) => (v === 'none' ? undefined : v)),
  TURN_SERVER_URL: z.string().optional(),
  TURN_USERNAME: z.string().optional(),
  TURN_PASSWORD: z.string().optional(),
  TURN_SHARED_SECRET: z.string().optional(),
  TURN_CREDENTIAL_TTL_SECONDS: int(3600, 60),

  // --- SFU (Janus VideoRoom) ------------------------------------------------
  /** Janus WebSocket API, e.g. ws://127.0.0.1:8188; a comma-separated list spreads rooms by load. Unset = no SFU. */
  JANUS_URL: z.string().optional(),
  /** Janus general.api_secret, if Janus sets one. */
  JANUS_API_SECRET: z.string().optional(),
  /** The VideoRoom plugin's admin_key, if Janus sets one (needed to create rooms). */
  JANUS_ADMIN_KEY: z.string().optional(),
  /** A Janus request not answered within this fails (SFU_UNAVAILABLE / UNAVAILABLE). */
  JANUS_REQUEST_TIMEOUT_MS: int(10_000, 100, 120_000),

  // --- stream filters ------------------------------------------------------
  FILTER_CREATOR_SHARE: ratio(0.7),
  /** Trending is recomputed at most this often (every request in between gets the same list). */
  FILTER_TRENDING_TTL_MS: int(15_000, 0),
});

export type Config = z.infer<typeof EnvSchema> & {
  jwtSecret: string;
  operatorPassword: string;
  /** Set only on the start that generated the operator password: printed once, then never again. */
  firstStartOperatorPassword?: string;
  /** JANUS_URL split and checked; empty = no SFU. */
  janusUrls: string[];
};

/** JANUS_URL → its ws:// or wss:// addresses, or the reason it is invalid. */
export function parseJanusUrls(value: string | undefined): string[] | string {
  if (!value) return [];
  const urls = value
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      return `"${u}" is not a URL`;
    }
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') return `"${u}" must be a ws:// or wss:// address`;
  }
  if (new Set(urls).size !== urls.length) return 'lists the same address twice';
  return urls;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset" so `FOO= npm start` falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (c.NODE_ENV === 'production') {
    for (const name of ['JWT_SECRET', 'OPERATOR_PASSWORD'] as const) {
      if (!c[name]) throw new ConfigError(`Invalid configuration:\n  ${name}: required when NODE_ENV=production`);
    }
  }
  if (c.TURN_SERVER_URL && !c.TURN_SHARED_SECRET && !(c.TURN_USERNAME && c.TURN_PASSWORD)) {
    throw new ConfigError(
      'Invalid configuration:\n  TURN_SERVER_URL: needs TURN_SHARED_SECRET or both TURN_USERNAME and TURN_PASSWORD',
    );
  }
  if (c.REDIS_URL && !c.PUBLIC_ADDRESS && c.NODE_ENV === 'production') {
    throw new ConfigError('Invalid configuration:\n  PUBLIC_ADDRESS: required with REDIS_URL in production');
  }
  if (c.JWT_SECRET && RETIRED_SECRETS.includes(c.JWT_SECRET)) {
    throw new ConfigError(
      'Invalid configuration:\n  JWT_SECRET: this value was published in the source; choose another',
    );
  }
  if (c.OPERATOR_PASSWORD && RETIRED_SECRETS.includes(c.OPERATOR_PASSWORD)) {
    throw new ConfigError(
      'Invalid configuration:\n  OPERATOR_PASSWORD: this value was published in the source; choose another',
    );
  }
  // Outside production, a missing secret is generated once and kept in DATA_DIR (never a constant).
  const local = c.JWT_SECRET && c.OPERATOR_PASSWORD ? undefined : localSecrets(c.DATA_DIR);
  const janusUrls = parseJanusUrls(c.JANUS_URL);
  if (typeof janusUrls === 'string') throw new ConfigError(`Invalid configuration:\n  JANUS_URL: ${janusUrls}`);
  return {
    ...c,
    janusUrls,
    jwtSecret: c.JWT_SECRET ?? local!.secrets.jwtSecret,
    operatorPassword: c.OPERATOR_PASSWORD ?? local!.secrets.operatorPassword,
    ...(local?.created && !c.OPERATOR_PASSWORD ? { firstStartOperatorPassword: local.secrets.operatorPassword } : {}),
  };
}

/** Constants earlier versions used as development secrets: refused, so forged tokens never verify. */
export const RETIRED_SECRETS: readonly string[] = ['dev-only-insecure-jwt-secret-change-me', 'operator-dev-password'];

interface LocalSecrets {
  jwtSecret: string;
  operatorPassword: string;
}

/** Reads DATA_DIR/secrets.json, creating it (mode 0600) with random values on first start. */
export function localSecrets(dataDir: string): { secrets: LocalSecrets; created: boolean } {
  const file = path.join(dataDir, 'secrets.json');
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
    if (typeof s.jwtSecret === 'string' && s.jwtSecret.length >= 32 && typeof s.operatorPassword === 'string') {
      return { secrets: { jwtSecret: s.jwtSecret, operatorPassword: s.operatorPassword }, created: false };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`Cannot read ${file}: ${String(err)}`);
  }
  const secrets = {
    jwtSecret: randomBytes(48).toString('base64url'),
    operatorPassword: randomBytes(12).toString('base64url'),
  };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return { secrets, created: true };
}

export class ConfigError extends Error {}
