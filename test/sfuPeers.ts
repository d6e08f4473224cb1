/**
 * werift peers that publish to and watch through the SFU using only room messages
 * (`webrtc:publish`, `webrtc:subscribe`, …): a publisher sends synthetic VP8 and Opus RTP,
 * a viewer counts the RTP it receives per feed. Peers bind to our side of the veth pair
 * Janus sits behind (see test/janusNetns.ts); nothing else is contacted.
 */
import type { Room } from '@colyseus/sdk';
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
  type RTCRtpTransceiver,
  useSdesMid,
  useSdesRTPStreamId,
} from 'werift';

export function peerConfig(address: string) {
  return {
    iceServers: [],
    iceUseIpv6: false,
    iceInterfaceAddresses: { udp4: address },
    // One ICE/DTLS transport from the start. With werift's default (max-compat) each m-line gathers on
    // its own transport; when the answer bundles them, werift drops the extra transports without
    // stopping them, and pc.close() never reaches their UDP sockets (the process could not exit).
    bundlePolicy: 'max-bundle' as const,
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
  /** mid → the last byte of the last RTP payload (tells simulcast layers apart, see LAYER_FILL). */
  lastFill: Map<string, number>;
  /** The last webrtc:subscription-offer payload. */
  lastOffer?: { offer: string; reason?: string; iceServers?: unknown[] };
  /** performance.now() of the first RTP packet. */
  firstRtpAt?: number;
  /** Sends webrtc:subscribe again (to `feeds`, or every live feed) and answers the new offer on the same connection. */
  resubscribe(feeds?: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** Subscribes `room`'s client (to `feeds`, or to every live feed) and answers every offer the SFU sends. */
export async function watch(room: Room, address: string, feeds?: string[]): Promise<Viewer> {
  const pc = new RTCPeerConnection(peerConfig(address));
  const viewer: Viewer = {
    pc,
    streams: new Map(),
    packets: new Map(),
    lastFill: new Map(),
    offers: 0,
    packetsFrom: (feed, kind) => {
      let n = 0;
      for (const [mid, s] of viewer.streams)
        if (s.feed === feed && (!kind || s.kind === kind)) n += viewer.packets.get(mid) ?? 0;
      return n;
    },
    resubscribe: async (list) => {
      const offered = reply<any>(room, 'webrtc:subscription-offer', 'webrtc:subscribe');
      room.send('webrtc:subscribe', list ? { feeds: list } : {});
      const started = reply(room, 'webrtc:subscribed', 'webrtc:subscription-answer');
      await answerOffer(await offered);
      await started;
    },
    stop: async () => {
      off();
      await pc.close();
    },
  };
  pc.onTrack.subscribe((track) => {
    const mid = pc.getTransceivers().find((t) => t.receiver.tracks.includes(track))?.mid;
    if (!mid) return;
    track.onReceiveRtp.subscribe((rtp) => {
      viewer.lastFill.set(mid, rtp.payload[rtp.payload.length - 1] ?? 0);
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

/**
 * Publishes three simulcast layers (rids h, m, l as Chrome orders them) of synthetic VP8 by sending
 * each layer's RTP with its own SSRC and rid header extension (werift cannot send simulcast itself).
 * Each layer's payload is filled with its own byte (LAYER_FILL) so a viewer can tell which arrives.
 */
export const LAYER_FILL = { h: 0x33, m: 0x22, l: 0x11 } as const;

export async function publishSimulcast(room: Room, address: string): Promise<Publisher> {
  const pc = new RTCPeerConnection({
    ...peerConfig(address),
    headerExtensions: { video: [useSdesMid(), useSdesRTPStreamId()], audio: [] },
  });
  const video = pc.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const rids = ['h', 'm', 'l'] as const;
  const offer = pc
    .localDescription!.sdp.replace(/^a=ssrc.*\r\n/gm, '')
    .replace(
      /(m=video[\s\S]*?)(a=rtcp-mux\r\n)/,
      `$1$2${rids.map((r) => `a=rid:${r} send\r\n`).join('')}a=simulcast:send ${rids.join(';')}\r\n`,
    );
  const answered = reply<{ answer: string }>(room, 'webrtc:published', 'webrtc:publish');
  room.send('webrtc:publish', { offer });
  const { answer } = await answered;
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  const extId = (uri: string) => Number(new RegExp(`a=extmap:(\\d+)(?:/\\w+)? ${uri}`).exec(answer)?.[1]);
  const midId = extId('urn:ietf:params:rtp-hdrext:sdes:mid');
  const ridId = extId('urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id');
  const pt = Number(/m=video \d+ [A-Z/]+ (\d+)/.exec(answer)?.[1] ?? 96);
  const mid = video.mid!;
  const layers = rids.map((rid, i) => ({
    rid,
    ssrc: 0x1000 + i,
    seq: 1,
    payload: Buffer.concat([VP8_PAYLOAD.subarray(0, 11), Buffer.alloc(300 - i * 100, LAYER_FILL[rid])]),
  }));
  let ts = 0;
  const timer = setInterval(() => {
    ts = (ts + 2970) >>> 0;
    for (const l of layers) {
      const header = new RtpHeader({
        payloadType: pt,
        sequenceNumber: l.seq,
        timestamp: ts,
        ssrc: l.ssrc,
        marker: true,
        extension: true,
        extensions: [
          { id: midId, payload: Buffer.from(mid) },
          { id: ridId, payload: Buffer.from(l.rid) },
        ],
      });
      l.seq = (l.seq + 1) & 0xffff;
      video.sender.dtlsTransport?.sendRtp(l.payload, header).catch(() => undefined);
    }
  }, 33);
  return {
    pc,
    answer,
    stop: async () => {
      clearInterval(timer);
      await pc.close();
    },
  };
}
