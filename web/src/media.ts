// Mesh media over a room's webrtc:* messages: one RTCPeerConnection per remote peer.
// This file is docs/protocol.md "Connecting two peers (browser)" verbatim (a test checks it).
import type { Room } from '@colyseus/sdk';

export interface MediaOptions {
  /** Our camera and microphone; none for a viewer, who only receives. */
  local?: MediaStream;
  /** Do we offer to this peer? 'existing': it was there when we joined; 'joined': it (re)joined after us. */
  shouldOffer(userId: string, reason: 'existing' | 'joined'): boolean;
  onRemote(userId: string, stream: MediaStream): void;
  onGone?(userId: string): void;
  onError?(error: { type: string; code: string; message: string }): void;
}

export class MeshMedia {
  readonly pcs = new Map<string, RTCPeerConnection>();
  private iceServers: RTCIceServer[] = [];
  private early = new Map<string, RTCIceCandidateInit[]>(); // candidates that came before the description

  constructor(
    private readonly room: Room,
    private readonly opts: MediaOptions,
  ) {
    room.onMessage('webrtc:existing-peers', ({ peers, iceServers }) => {
      this.iceServers = iceServers;
      for (const p of peers) if (opts.shouldOffer(p.userId, 'existing')) void this.offer(p.userId);
    });
    room.onMessage('webrtc:peer-joined', ({ userId }) => {
      this.close(userId); // a page reload or rejoin: the old connection is dead, never reuse it
      if (opts.shouldOffer(userId, 'joined')) void this.offer(userId);
    });
    room.onMessage('webrtc:peer-left', ({ userId }) => this.close(userId));
    room.onMessage('webrtc:offer', ({ from, sdp }) => void this.answer(from, sdp));
    room.onMessage('webrtc:answer', async ({ from, sdp }) => {
      await this.pcs.get(from)?.setRemoteDescription({ type: 'answer', sdp });
      await this.flush(from);
    });
    room.onMessage('webrtc:ice-candidate', async ({ from, candidate }) => {
      const pc = this.pcs.get(from);
      if (pc?.remoteDescription) await pc.addIceCandidate(candidate);
      else this.early.set(from, [...(this.early.get(from) ?? []), candidate]);
    });
    room.onMessage('webrtc:error', (e) => opts.onError?.(e));
  }

  /** Joins the room's media: the server answers webrtc:existing-peers, which starts the offers. */
  join(): void {
    this.room.send('webrtc:join-room', { audio: !!this.opts.local, video: !!this.opts.local });
  }

  close(userId?: string): void {
    for (const id of userId ? [userId] : [...this.pcs.keys()]) {
      this.pcs.get(id)?.close();
      this.pcs.delete(id);
      this.early.delete(id);
      this.opts.onGone?.(id);
    }
  }

  private connection(peer: string): RTCPeerConnection {
    this.close(peer);
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    pc.onicecandidate = (e) =>
      e.candidate && this.room.send('webrtc:ice-candidate', { to: peer, candidate: e.candidate.toJSON() });
    pc.ontrack = (e) => this.opts.onRemote(peer, e.streams[0] ?? new MediaStream([e.track]));
    this.pcs.set(peer, pc);
    return pc;
  }

  private addLocal(pc: RTCPeerConnection): void {
    const local = this.opts.local;
    for (const track of local?.getTracks() ?? []) pc.addTrack(track, local!);
  }

  private async offer(peer: string): Promise<void> {
    const pc = this.connection(peer);
    if (this.opts.local) this.addLocal(pc);
    else for (const kind of ['audio', 'video']) pc.addTransceiver(kind, { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    this.room.send('webrtc:offer', { to: peer, sdp: pc.localDescription!.sdp });
  }

  private async answer(peer: string, sdp: string): Promise<void> {
    const pc = this.connection(peer); // a new offer replaces whatever we had with that peer
    await pc.setRemoteDescription({ type: 'offer', sdp });
    this.addLocal(pc); // our tracks go out on the transceivers the offer asked for
    await pc.setLocalDescription(await pc.createAnswer());
    this.room.send('webrtc:answer', { to: peer, sdp: pc.localDescription!.sdp });
    await this.flush(peer);
  }

  private async flush(peer: string): Promise<void> {
    const pc = this.pcs.get(peer);
    for (const c of this.early.get(peer) ?? []) await pc?.addIceCandidate(c);
    this.early.delete(peer);
  }
}
