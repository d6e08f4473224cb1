/**
 * werift peers that publish to and watch through the SFU using only room messages
 * (`webrtc:publish`, `webrtc:subscribe`, …): a publisher sends synthetic VP8 and Opus RTP,
 * a viewer counts the RTP it receives per feed. Peers bind to our side of the veth pair
 * Janus sits behind (see test/janusNetns.ts); nothing else is contacted.
 */
import type { Room } from '@colyseus/sdk';
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, type RTCRtpTransceiver } from 'werift';

export function peerConfig(address: string) {
  return {
    iceServers: [],
    iceUseIpv6: false,
    iceInterfaceAddresses: { udp4: address },
  };
}

/** Resolves with the next message of `type` (rejects after `ms`, or on a webrtc:error for `type`). */
export function reply<T = any>(room: Room, type: string, request: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      offA();
      offB();
      reject(new Error(`timed out waiting for "${type}"`));
    }, ms);
    const offA = room.onMessage(type, (m: T) => {
      clearTimeout(timer);
      offA();
      offB();
      resolve(m);
    });
    const offB = room.onMessage('webrtc:error', (e: { type: string; code: string; message: string }) => {
      if (e.type !== request) return;
      clearTimeout(timer);
      offA();
      offB();
      reject(Object.assign(new Error(`${e.code}: ${e.message}`), { code: e.code }));
    });
  });
}

export async function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise<void>((resolve) => {
    const sub = pc.iceGatheringStateChange.subscribe((s) => {
      if (s === 'complete') {
        sub.unSubscribe();
        resolve();
      }
    });
  });
}

// A VP8 keyframe-shaped payload (descriptor, frame tag, start code, 640x360) and an Opus frame.
export const VP8_PAYLOAD = Buffer.concat([
  Buffer.from([0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01]),
  Buffer.alloc(300, 0x5a),
]);
export const OPUS_PAYLOAD = Buffer.from([0xf8, 0xff, 0xfe]);

export interface Publisher {
  pc: RTCPeerConnection;
  answer: string;
  stop(): Promise<void>;
}

/** Publishes synthetic VP8 (30 fps) and Opus (50 pps) from `room`'s client; resolves once answered. */
export async function publish(room: Room, address: string): Promise<Publisher> {
  const pc = new RTCPeerConnection(peerConfig(address));
  const video = pc.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
  const audio = pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const answered = reply<{ answer: string }>(room, 'webrtc:published', 'webrtc:publish');
  room.send('webrtc:publish', { offer: pc.localDescription!.sdp });
  let timers: NodeJS.Timeout[] = [];
  try {
    const { answer } = await answered;
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    timers = [pump(video, 33, 90, VP8_PAYLOAD), pump(audio, 20, 960, OPUS_PAYLOAD)];
    return {
      pc,
      answer,
      stop: async () => {
        for (const t of timers) clearInterval(t);
        await pc.close();
      },
    };
  } catch (err) {
    await pc.close();
    throw err;
  }
}

export function pump(t: RTCRtpTransceiver, everyMs: number, tsStep: number, payload: Buffer): NodeJS.Timeout {
  let seq = 1;
  let ts = 1000;
  return setInterval(() => {
    const header = new RtpHeader({ sequenceNumber: seq, timestamp: ts, marker: true, payloadType: 96 });
    seq = (seq + 1) & 0xffff;
    ts = (ts + tsStep) >>> 0;
    t.sender.sendRtp(new RtpPacket(header, payload)).catch(() => undefined);
  }, everyMs);
}

export interface Viewer {
  pc: RTCPeerConnection;
  /** mid → { feed (publisher user id), kind } from the last subscription offer. */
  streams: Map<string, { feed: string; kind: string; active: boolean }>;
  /** RTP packets received per mid. */
  packets: Map<string, number>;
  /** Packets received from `feed` (all its kinds). */
  packetsFrom(feed: string, kind?: string): number;
  offers: number;
  /** The last webrtc:subscription-offer payload. */
  lastOffer?: { offer: string; reason?: string; iceServers?: unknown[] };
  /** performance.now() of the first RTP packet. */
  firstRtpAt?: number;
  stop(): Promise<void>;
}

/** Subscribes `room`'s client (to `feeds`, or to every live feed) and answers every offer the SFU sends. */
export async function watch(room: Room, address: string, feeds?: string[]): Promise<Viewer> {
  const pc = new RTCPeerConnection(peerConfig(address));
  const viewer: Viewer = {
    pc,
    streams: new Map(),
    packets: new Map(),
    offers: 0,
    packetsFrom: (feed, kind) => {
      let n = 0;
      for (const [mid, s] of viewer.streams)
        if (s.feed === feed && (!kind || s.kind === kind)) n += viewer.packets.get(mid) ?? 0;
      return n;
    },
    stop: async () => {
      off();
      await pc.close();
    },
  };
  pc.onTrack.subscribe((track) => {
    const mid = pc.getTransceivers().find((t) => t.receiver.tracks.includes(track))?.mid;
    if (!mid) return;
    track.onReceiveRtp.subscribe(() => {
      viewer.firstRtpAt ??= performance.now();
      viewer.packets.set(mid, (viewer.packets.get(mid) ?? 0) + 1);
    });
  });
  let chain = Promise.resolve();
  const answerOffer = async (m: {
    offer: string;
    streams: Array<{ mid: string; feed: string; kind: string; active: boolean }>;
    reason?: string;
    iceServers?: unknown[];
  }) => {
    viewer.offers++;
    viewer.lastOffer = m;
    viewer.streams = new Map(m.streams.map((s) => [s.mid, { feed: s.feed, kind: s.kind, active: s.active }]));
    await pc.setRemoteDescription({ type: 'offer', sdp: m.offer });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    room.send('webrtc:subscription-answer', { answer: pc.localDescription!.sdp });
  };
  // Later offers (a feed left, the subscription changed) are answered in order.
  const off = room.onMessage('webrtc:subscription-offer', (m: any) => {
    if (m.reason !== 'update') return;
    chain = chain.then(() => answerOffer(m)).catch(() => undefined);
  });
  const offered = reply<any>(room, 'webrtc:subscription-offer', 'webrtc:subscribe');
  room.send('webrtc:subscribe', feeds ? { feeds } : {});
  try {
    const started = reply(room, 'webrtc:subscribed', 'webrtc:subscription-answer');
    await answerOffer(await offered);
    await started;
    return viewer;
  } catch (err) {
    await viewer.stop();
    throw err;
  }
}
