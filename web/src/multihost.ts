/** Multi-host: the tiles of the session's layout, each with that host's video. */
import { api, roomClient } from './api';
import { createMedia, expose, hasSfu, logRoomErrors, signedIn } from './page';
import { $, h, log, param, show } from './ui';

async function open(sessionId: string, meId: string): Promise<void> {
  const session = await api('GET', `/api/multihost/${sessionId}`);
  const room = await roomClient().joinById(session.roomId);
  logRoomErrors(room);
  const stage = $('#stage');
  const tiles = new Map<string, { tile: HTMLElement; video: HTMLVideoElement; label: HTMLElement }>();
  const streams = new Map<string, MediaStream>();
  // Tiles are kept and updated in place: moving a playing <video> in the DOM pauses it.
  const render = (s: any) => {
    $('#mh-title').textContent = `${s.title} · ${s.status} · ${s.layout} · viewers ${s.viewerCount}`;
    for (const [userId, t] of tiles)
      if (!s.hosts.has(userId)) {
        t.tile.remove();
        tiles.delete(userId);
      }
    s.hosts.forEach((host: any, userId: string) => {
      let t = tiles.get(userId);
      if (!t) {
        const video = h('video', { autoplay: '', playsinline: '', 'data-user-id': userId });
        video.muted = true;
        const label = h('span', { class: 'label' });
        t = { tile: h('div', { class: 'tile', 'data-user-id': userId }, video, label), video, label };
        tiles.set(userId, t);
        stage.append(t.tile);
      }
      const r = host.tile;
      t.tile.setAttribute(
        'style',
        `left:${r.x * 100}%;top:${r.y * 100}%;width:${r.w * 100}%;height:${r.h * 100}%;z-index:${r.z}`,
      );
      t.label.textContent = `${host.username} (${host.role})${host.connected ? '' : ' · away'}`;
      const stream = streams.get(userId);
      if (stream) show(t.video, stream);
    });
  };
  room.onStateChange(render);
  const isHost = () => room.state.hosts.has(meId);
  await new Promise<void>((resolve) => room.onStateChange.once(() => resolve()));
  if (isHost()) {
    const local = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
    streams.set(meId, local);
  }
  // Hosts publish and see each other (mesh without an SFU); viewers watch only through the SFU.
  if (isHost() || (await hasSfu())) {
    const media = await createMedia(room, {
      local: streams.get(meId),
      shouldOffer: (_userId, reason) => reason === 'existing', // mesh: the host who arrives offers to those on stage
      onRemote: (userId, stream) => {
        streams.set(userId, stream);
        render(room.state);
      },
      onGone: (userId) => streams.delete(userId),
    });
    media.join();
  } else {
    $('#mh-note').textContent = 'This server runs no SFU: only hosts on stage exchange video (mesh).';
  }
  expose({ room });
}

async function create(): Promise<void> {
  const s = await api('POST', '/api/multihost', {
    title: $<HTMLInputElement>('#mh-new-title').value || 'Panel',
    type: 'panel',
  });
  await api('POST', `/api/multihost/${s.sessionId}/start`);
  location.search = `?session=${s.sessionId}`;
}

async function start(): Promise<void> {
  const me = await signedIn();
  const sessionId = param('session');
  if (sessionId) return open(sessionId, me.id);
  $('#mh-create').hidden = false;
  $('#mh-create-button').onclick = () => void create().catch((err) => log((err as Error).message, 'error'));
}

start().catch((err) => log(`Multi-host: ${(err as Error).message}`, 'error'));
