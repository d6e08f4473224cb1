// Media through the SFU (docs/protocol.md "Media through the SFU"): a publisher sends its camera
// once on one RTCPeerConnection; every page (a host's too) receives the other feeds in room.state.feeds
// on another.
// Same options as MeshMedia (web/src/media.ts); page.ts picks one of the two.
import type { Room } from '@colyseus/sdk';
import { session } from './api';
import type { MediaOptions } from './media';

type Target = 'publisher' | 'subscriber';
interface Stream {
  mid: string;
  feed: string;
  kind: string;
  active: boolean;
}
/** Refusals that pass (the room is not live yet, the SFU is restarting, a feed just left): try again. */
const RETRY = new Set(['INVALID_STATE', 'SFU_UNAVAILABLE', 'NOT_FOUND', 'CONFLICT']);
const RETRY_MS = 1000;
const SIMULCAST: RTCRtpEncodingParameters[] = [
  { rid: 'h' },
  { rid: 'm', scaleResolutionDownBy: 2 },
  { rid: 'l', scaleResolutionDownBy: 4 },
];

export class SfuMedia {
  readonly pcs = new Map<Target, RTCPeerConnection>();
  private asked = new Set<string>(); // the feeds of our last webrtc:subscribe, or of the SFU's last offer
  private shown = new Map<string, MediaStream>(); // feed (its publisher's user id) → what we show
  private early: (RTCIceCandidateInit | null)[] = []; // our publisher's candidates before webrtc:published
  private negotiating = Promise.resolve();
  private closed = false;
  private readonly me = session()?.user.id;

  constructor(
    private readonly room: Room,
    private readonly opts: MediaOptions,
  ) {
    room.onMessage('webrtc:published', ({ answer }) => {
      this.pcs
        .get('publisher')
        ?.setRemoteDescription({ type: 'answer', sdp: answer })
        .then(() => {
          for (const candidate of this.early.splice(0)) this.trickle('publisher', candidate);
        })
        .catch((err) => this.fail('published', err));
    });
    room.onMessage('webrtc:subscription-offer', (m) => {
      this.negotiating = this.negotiating.then(() => this.answer(m)).catch((err) => this.fail('answer', err));
    });
    room.onMessage('webrtc:trickle', (m: { target: Target; candidate: RTCIceCandidateInit | null }) => {
      const pc = this.pcs.get(m.target);
      if (pc && m.candidate) pc.addIceCandidate(m.candidate).catch(() => undefined);
    });
    room.onMessage('webrtc:unpublished', () => this.hangUp('publisher'));
    room.onMessage('webrtc:sfu-reset', () => {
      // Janus restarted: the server re-creates the room and `feeds` empties; publish again, re-subscribe as feeds return.
      this.hangUp('publisher');
      this.hangUp('subscriber');
      this.join();
    });
    room.onMessage('webrtc:ice-servers', ({ iceServers }) => this.startPublisher(iceServers));
    room.onMessage('webrtc:subscribed', () => undefined);
    room.onMessage('webrtc:layer-selected', () => undefined);
    room.onMessage('webrtc:error', (e) => {
      if (e.type === 'webrtc:publish' && RETRY.has(e.code)) setTimeout(() => this.publish(), RETRY_MS);
      else if (e.type === 'webrtc:subscribe' && RETRY.has(e.code)) setTimeout(() => this.follow(true), RETRY_MS);
      else opts.onError?.(e);
    });
    room.onStateChange(() => this.follow());
  }

  /** Publishes our camera (if any) and watches every feed but ours, now and as they come and go. */
  join(): void {
    if (this.opts.local) this.publish();
    this.follow();
  }

  close(): void {
    this.closed = true;
    this.hangUp('publisher');
    this.hangUp('subscriber');
  }

  /** Asks for our STUN/TURN servers first: the publisher's RTCPeerConnection needs them when it is created. */
  private publish(): void {
    if (this.closed) return;
    this.hangUp('publisher');
    this.room.send('webrtc:ice-servers', {});
  }

  private startPublisher(iceServers: RTCIceServer[]): void {
    if (this.closed) return;
    this.hangUp('publisher');
    const pc = new RTCPeerConnection({ iceServers });
    this.pcs.set('publisher', pc);
    pc.onicecandidate = (e) => {
      const candidate = e.candidate?.toJSON() ?? null;
      if (pc.remoteDescription) this.trickle('publisher', candidate);
      else this.early.push(candidate);
    };
    const local = this.opts.local!;
    for (const track of local.getTracks()) {
      // Video in three simulcast layers, high to low (Janus's order): the SFU sends each viewer the one its network carries.
      const sendEncodings = track.kind === 'video' ? SIMULCAST : undefined;
      pc.addTransceiver(track, { direction: 'sendonly', streams: [local], sendEncodings });
    }
    void pc
      .createOffer()
      .then((offer) => pc.setLocalDescription(offer))
      .then(() => this.room.send('webrtc:publish', { offer: pc.localDescription!.sdp }))
      .catch((err) => this.fail('publish', err));
  }

  /** Subscribes when `feeds` lists one we do not watch yet (feeds that leave are the SFU's to re-offer). */
  private follow(retry = false): void {
    if (this.closed) return;
    const feeds = [...(this.room.state?.feeds?.keys() ?? [])].filter((id: string) => id !== this.me);
    if (retry) this.asked = new Set(this.shown.keys());
    if (!feeds.some((id) => !this.asked.has(id))) return;
    this.asked = new Set(feeds);
    this.room.send('webrtc:subscribe', { feeds });
  }

  private async answer(m: { offer: string; streams: Stream[]; iceServers?: RTCIceServer[] }): Promise<void> {
    let pc = this.pcs.get('subscriber');
    if (!pc) {
      pc = new RTCPeerConnection({ iceServers: m.iceServers ?? [] });
      pc.onicecandidate = (e) => this.trickle('subscriber', e.candidate?.toJSON() ?? null);
      this.pcs.set('subscriber', pc);
    }
    await pc.setRemoteDescription({ type: 'offer', sdp: m.offer });
    await pc.setLocalDescription(await pc.createAnswer());
    this.room.send('webrtc:subscription-answer', { answer: pc.localDescription!.sdp });
    // One MediaStream per feed, from the transceivers the SFU's offer labels with that feed.
    const tracks = new Map<string, MediaStreamTrack[]>();
    for (const s of m.streams) {
      const t = s.active && pc.getTransceivers().find((t) => t.mid === s.mid);
      if (t) tracks.set(s.feed, [...(tracks.get(s.feed) ?? []), t.receiver.track]);
    }
    for (const feed of this.shown.keys()) if (!tracks.has(feed)) this.gone(feed);
    for (const [feed, list] of tracks) {
      const was = this.shown.get(feed)?.getTracks() ?? [];
      if (was.length === list.length && list.every((t) => was.includes(t))) continue;
      const stream = new MediaStream(list);
      this.shown.set(feed, stream);
      this.opts.onRemote(feed, stream);
    }
    this.asked = new Set(tracks.keys());
    this.follow(); // a feed may have come back while this offer was on its way
  }

  private trickle(target: Target, candidate: RTCIceCandidateInit | null): void {
    this.room.send('webrtc:trickle', { target, candidate });
  }

  private hangUp(target: Target): void {
    this.pcs.get(target)?.close();
    this.pcs.delete(target);
    if (target === 'publisher') this.early = [];
    else {
      this.asked.clear();
      for (const feed of [...this.shown.keys()]) this.gone(feed);
    }
  }

  private gone(feed: string): void {
    this.shown.delete(feed);
    this.opts.onGone?.(feed);
  }

  private fail(what: string, err: unknown): void {
    this.opts.onError?.({ type: `sfu:${what}`, code: 'CLIENT', message: (err as Error).message });
  }
}
