import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { loadConfig } from '../../src/config';
import { iceServersFor, turnCredentials } from '../../src/rtc/iceServers';
import {
  assessHealth,
  classify,
  decideQuality,
  initialTracker,
  type Tier,
  type TrackerState,
  track,
} from '../../src/rtc/quality';

const s = (bitrateKbps: number, rttMs: number, packetLossPct: number) => ({ bitrateKbps, rttMs, packetLossPct });

describe('WebRTC quality tiers', () => {
  it('classifies by the spec table, the worst dimension deciding', () => {
    const table: Array<[ReturnType<typeof s>, Tier]> = [
      [s(2500, 30, 0.5), 'excellent'],
      [s(1500, 30, 0.5), 'good'],
      [s(2500, 80, 0.5), 'good'],
      [s(2500, 30, 2), 'good'],
      [s(800, 30, 0.5), 'fair'],
      [s(2500, 150, 0.5), 'fair'],
      [s(2500, 30, 4), 'fair'],
      [s(300, 30, 0.5), 'poor'],
      [s(2500, 250, 0.5), 'poor'],
      [s(2500, 30, 8), 'poor'],
      [s(2001, 49, 0.99), 'excellent'],
      [s(2000, 50, 1), 'good'],
      [s(1000, 100, 3), 'good'],
      [s(500, 200, 5), 'fair'],
      [s(499, 10, 0), 'poor'],
    ];
    for (const [stats, tier] of table) assert.equal(classify(stats), tier, JSON.stringify(stats));
  });

  it('does not flap on a wobbling link (hysteresis), and still follows a real change', () => {
    const feed = (samples: Array<ReturnType<typeof s>>) => {
      let st: TrackerState = initialTracker();
      return samples.map((x) => {
        const r = track(st, x);
        st = r;
        return r.tier;
      });
    };
    const excellent = s(3000, 20, 0);
    const good = s(1500, 20, 0);
    const poor = s(200, 300, 10);
    // excellent, then alternating good/excellent: one-off dips never move the tier.
    assert.deepEqual(feed([excellent, good, excellent, good, excellent, good]), Array(6).fill('excellent'));
    // Two bad samples in a row step down; the step goes only as far as both samples agree.
    assert.deepEqual(feed([excellent, poor, good]), ['excellent', 'excellent', 'good']);
    assert.deepEqual(feed([excellent, poor, poor]), ['excellent', 'excellent', 'poor']);
    // Recovery needs three good samples in a row, and goes only as high as all three.
    assert.deepEqual(feed([poor, excellent, excellent, poor, excellent, good, excellent]), [
      'poor',
      'poor',
      'poor',
      'poor',
      'poor',
      'poor',
      'good',
    ]);
  });

  it('assesses health with warnings', () => {
    assert.deepEqual(assessHealth({ ...s(2500, 30, 0.2), frameRate: 30 }), {
      tier: 'excellent',
      resolution: '1080p',
      healthy: true,
      warnings: [],
    });
    const bad = assessHealth({ ...s(300, 400, 9), frameRate: 8 });
    assert.equal(bad.tier, 'poor');
    assert.equal(bad.healthy, false);
    assert.equal(bad.warnings.length, 4);
  });
});

describe('webrtc:adapt-quality decision', () => {
  it('grants the requested tier up to what the measured link carries', () => {
    assert.deepEqual(decideQuality('excellent', null), {
      tier: 'excellent',
      requested: 'excellent',
      measured: null,
      reason: 'granted',
    });
    assert.equal(decideQuality('fair', 'excellent').tier, 'fair');
    assert.deepEqual(decideQuality('excellent', 'fair'), {
      tier: 'fair',
      requested: 'excellent',
      measured: 'fair',
      reason: 'capped-by-network',
    });
  });
});

describe('ICE servers and TURN credentials', () => {
  it('mints coturn use-auth-secret credentials that verify with the shared secret', () => {
    const now = Date.UTC(2026, 10, 24, 12, 0, 0);
    const c = turnCredentials('s3cret', 'user-1', 3600, now);
    assert.equal(c.username, `${now / 1000 + 3600}:user-1`);
    const expected = createHmac('sha1', 's3cret').update(c.username).digest('base64');
    assert.equal(c.credential, expected);
    const config = loadConfig({
      STUN_SERVER_URL: 'stun:127.0.0.1:3478',
      TURN_SERVER_URL: 'turn:127.0.0.1:3478',
      TURN_SHARED_SECRET: 's3cret',
      TURN_CREDENTIAL_TTL_SECONDS: '600',
    });
    const servers = iceServersFor('user-2', config, now);
    assert.deepEqual(servers[0], { urls: 'stun:127.0.0.1:3478' });
    assert.equal(servers[1]!.username, `${now / 1000 + 600}:user-2`);
    assert.equal(servers[1]!.credential, createHmac('sha1', 's3cret').update(servers[1]!.username!).digest('base64'));
  });

  it('hands out static TURN credentials, or nothing when unconfigured', () => {
    const config = loadConfig({
      STUN_SERVER_URL: 'none',
      TURN_SERVER_URL: 'turn:127.0.0.1:3478',
      TURN_USERNAME: 'u',
      TURN_PASSWORD: 'p',
    });
    assert.deepEqual(iceServersFor('x', config), [{ urls: 'turn:127.0.0.1:3478', username: 'u', credential: 'p' }]);
    assert.deepEqual(iceServersFor('x', loadConfig({ STUN_SERVER_URL: 'none' })), []);
  });

  it("defaults STUN to the seed's public server, so clients behind NAT connect out of the box", () => {
    assert.deepEqual(iceServersFor('x', loadConfig({})), [{ urls: 'stun:stun.l.google.com:19302' }]);
  });
});
