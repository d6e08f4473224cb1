/** Multi-host: the tiles of the session's layout, each with that host's video. */
import { api, roomClient } from './api';
import { createMedia, expose, logRoomErrors, signedIn } from './page';
import { $, h, log, param, show } from './ui';

async function open(sessionId: string, meId: string): Promise<void> {
  const session = await api('GET', `/api/multihost/${sessionId}`);
  const room = await roomClient().joinById(session.roomId);
  logRoomErrors(room);
  const stage = $('#stage');
  const videos = new Map<string, HTMLVideoElement>();
  const streams = new Map<string, MediaStream>();
  const tileVideo = (userId: string) => {
    let v = videos.get(userId);
    if (!v) {
      v = h('video', { autoplay: '', playsinline: '', 'data-user-id': userId });
      v.muted = true;
      videos.set(userId, v);
    }
    const s = streams.get(userId);
    if (s) show(v, s);
    return v;
  };
  const render = (s: any) => {
    $('#mh-title').textContent = `${s.title} · ${s.status} · ${s.layout} · viewers ${s.viewerCount}`;
    const tiles: HTMLElement[] = [];
    s.hosts.forEach((host: any, userId: string) => {
      const t = host.tile;
      const style = `left:${t.x * 100}%;top:${t.y * 100}%;width:${t.w * 100}%;height:${t.h * 100}%;z-index:${t.z}`;
      const label = h('span', { class: 'label' }, `${host.username} (${host.role})${host.connected ? '' : ' · away'}`);
      tiles.push(h('div', { class: 'tile', style, 'data-user-id': userId }, tileVideo(userId), label));
    });
    stage.replaceChildren(...tiles);
  };
  room.onStateChange(render);
  const isHost = () => room.state.hosts.has(meId);
  await new Promise<void>((resolve) => room.onStateChange.once(() => resolve()));
  if (isHost()) {
    const local = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
    streams.set(meId, local);
    const media = createMedia(room, {
      local,
      shouldOffer: (_userId, reason) => reason === 'existing', // the host who arrives offers to those on stage
      onRemote: (userId, stream) => {
        streams.set(userId, stream);
        render(room.state);
      },
      onGone: (userId) => streams.delete(userId),
    });
    media.join();
    expose({ media });
  } else {
    $('#mh-note').textContent =
      'Viewers see the hosts’ video when the server runs an SFU; on the mesh only hosts on stage exchange video.';
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
