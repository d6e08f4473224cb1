/**
 * Real WebRTC peers for signaling tests (werift, pure TypeScript, loopback only), wired
 * to a room: every offer, answer and ICE candidate travels as room messages.
 */
import type { Room } from '@colyseus/sdk';
import { RTCPeerConnection, type RTCDataChannel } from 'werift';

const PEER_CONFIG = {
  iceServers: [],
  iceInterfaceAddresses: { udp4: '127.0.0.1' },
  iceAdditionalHostAddresses: ['127.0.0.1'],
  iceUseIpv6: false,
};

export interface Peer {
  userId: string;
  room: Room;
  /** One connection per remote peer. */
  connections: Map<string, RTCPeerConnection>;
  /** Messages received on data channels, by remote user id. */
  received: Map<string, string[]>;
  channels: Map<string, RTCDataChannel>;
  close(): Promise<void>;
}

/** Makes `room`'s client answer offers and apply candidates it gets through the room. */
export function attachPeer(userId: string, room: Room): Peer {
  const peer: Peer = {
    userId,
    room,
    connections: new Map(),
    received: new Map(),
    channels: new Map(),
    close: async () => {
      await Promise.all([...peer.connections.values()].map((pc) => pc.close()));
    },
  };
  room.onMessage('webrtc:offer', async (m: { from: string; sdp: string }) => {
    const pc = connectionTo(peer, m.from);
    await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    room.send('webrtc:answer', { to: m.from, sdp: pc.localDescription!.sdp });
  });
  room.onMessage('webrtc:answer', async (m: { from: string; sdp: string }) => {
    await peer.connections.get(m.from)?.setRemoteDescription({ type: 'answer', sdp: m.sdp });
  });
  room.onMessage('webrtc:ice-candidate', async (m: { from: string; candidate: any }) => {
    await connectionTo(peer, m.from)
      .addIceCandidate(m.candidate)
      .catch(() => undefined);
  });
  return peer;
}

function connectionTo(peer: Peer, remote: string): RTCPeerConnection {
  let pc = peer.connections.get(remote);
  if (pc) return pc;
  pc = new RTCPeerConnection(PEER_CONFIG);
  peer.connections.set(remote, pc);
  pc.onIceCandidate.subscribe((c) => {
    if (c) peer.room.send('webrtc:ice-candidate', { to: remote, candidate: stripCandidate(c.toJSON()) });
  });
  pc.onDataChannel.subscribe((dc) => {
    peer.channels.set(remote, dc);
    dc.onMessage.subscribe((data) => {
      if (!peer.received.has(remote)) peer.received.set(remote, []);
      peer.received.get(remote)!.push(data.toString());
    });
  });
  return pc;
}

function stripCandidate(c: any) {
  return { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null };
}

/** `from` offers a data channel to `to` through the room; resolves when the channel is open. */
export async function connect(from: Peer, to: string): Promise<RTCDataChannel> {
  const pc = connectionTo(from, to);
  const dc = pc.createDataChannel('chat');
  from.channels.set(to, dc);
  dc.onMessage.subscribe((data) => {
    if (!from.received.has(to)) from.received.set(to, []);
    from.received.get(to)!.push(data.toString());
  });
  const opened = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`data channel ${from.userId}→${to} did not open`)), 15_000);
    dc.stateChanged.subscribe((state) => {
      if (state === 'open') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  from.room.send('webrtc:offer', { to, sdp: pc.localDescription!.sdp });
  await opened;
  return dc;
}
