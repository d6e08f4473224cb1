/**
 * ICE servers handed to peers: STUN, and TURN with static credentials or short-lived
 * ones minted from a shared secret in coturn's `use-auth-secret` (TURN REST) scheme:
 * username `<unix expiry>:<userId>`, credential base64(HMAC-SHA1(secret, username)).
 */
import { createHmac } from 'node:crypto';
import type { Config } from '../config';

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export function turnCredentials(secret: string, userId: string, ttlSeconds: number, nowMs = Date.now()) {
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiry}:${userId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt: expiry * 1000 };
}

type IceConfig = Pick<
  Config,
  | 'STUN_SERVER_URL'
  | 'TURN_SERVER_URL'
  | 'TURN_USERNAME'
  | 'TURN_PASSWORD'
  | 'TURN_SHARED_SECRET'
  | 'TURN_CREDENTIAL_TTL_SECONDS'
>;

export function iceServersFor(userId: string, config: IceConfig, nowMs = Date.now()): IceServer[] {
  const servers: IceServer[] = [];
  if (config.STUN_SERVER_URL) servers.push({ urls: config.STUN_SERVER_URL });
  if (config.TURN_SERVER_URL) {
    if (config.TURN_SHARED_SECRET) {
      const { username, credential } = turnCredentials(
        config.TURN_SHARED_SECRET,
        userId,
        config.TURN_CREDENTIAL_TTL_SECONDS,
        nowMs,
      );
      servers.push({ urls: config.TURN_SERVER_URL, username, credential });
    } else {
      servers.push({ urls: config.TURN_SERVER_URL, username: config.TURN_USERNAME, credential: config.TURN_PASSWORD });
    }
  }
  return servers;
}
