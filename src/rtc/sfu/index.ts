/**
 * The process's SFU: none without JANUS_URL (the server runs mesh-only and
 * `webrtc:publish` answers SFU_UNAVAILABLE), else Janus, connected at start.
 */
import type { Config } from '../../config';
import type { Feature } from '../../feature';
import { logger } from '../../logger';
import type { Sfu, SfuStatus } from './Sfu';

let current: Sfu | undefined;

/** The SFU when one is configured. */
export function currentSfu(): Sfu | undefined {
  return current;
}

export function sfuStatus(): SfuStatus {
  return current ? current.status() : 'disabled';
}

/** Tests swap the SFU in and out. */
export function setSfu(sfu: Sfu | undefined): void {
  current = sfu;
}

/** janode (and its native addon) is loaded only when JANUS_URL is set. */
export async function sfuFromConfig(config: Config) {
  if (!config.janusUrls.length) return undefined;
  const { JanusSfu } = await import('./JanusSfu.js');
  return new JanusSfu({
    urls: config.janusUrls,
    apiSecret: config.JANUS_API_SECRET,
    adminKey: config.JANUS_ADMIN_KEY,
    requestTimeoutMs: config.JANUS_REQUEST_TIMEOUT_MS,
    logger,
  });
}

export const sfuFeature: Feature = {
  name: 'sfu',
  start: async (c) => {
    const sfu = await sfuFromConfig(c.config);
    if (!sfu) return;
    await sfu.start();
    if (sfu.status() !== 'ok') c.logger.warn({ urls: c.config.janusUrls }, 'janus not reachable yet; retrying');
    setSfu(sfu);
  },
  stop: async () => {
    const sfu = current;
    setSfu(undefined);
    await sfu?.close();
  },
};
