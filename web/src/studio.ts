/** Studio: a host goes live with the camera, runs PK battles and shopping streams. */
import type { Room } from '@colyseus/sdk';
import { api, roomClient } from './api';
import { createMedia, expose, hasSfu, logRoomErrors, signedIn } from './page';
import { $, h, log, show } from './ui';

let camera: MediaStream | undefined;
function showCamera(stream: MediaStream): MediaStream {
  camera = stream;
  show($<HTMLVideoElement>('#local'), stream);
  return stream;
}
async function getCamera(): Promise<MediaStream> {
  return camera ?? showCamera(await navigator.mediaDevices.getUserMedia({ video: true, audio: true }));
}

const value = (sel: string) => $<HTMLInputElement>(sel).value.trim();
function onClick(sel: string, fn: () => Promise<unknown>): void {
  $(sel).onclick = () => fn().catch((err) => log(`${sel.slice(1)}: ${(err as Error).message}`, 'error'));
}

// --- solo stream -------------------------------------------------------------------------

const LIVE_KEY = 'live-arena.live-stream'; // this tab's running stream, so a reload goes back on air

/** Starts a stream, or (after a page reload) rejoins the one this tab was running. */
async function goLive(resume?: string): Promise<void> {
  const title = value('#stream-title') || 'My stream';
  // #region docs:host
  const local = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  const stream = resume
    ? await api('GET', `/api/webrtc/stream/${resume}/join`) // still live after a reload: 404/409 otherwise
    : await api('POST', '/api/webrtc/stream/start', { title }); // { streamId, roomId, iceServers }
  const room = await roomClient().joinById(stream.roomId);
  const media = await createMedia(room, {
    local, // published once to the SFU, or (mesh) added to each viewer's connection before answering its offer
    shouldOffer: () => false, // mesh: viewers offer to the host (again when the host rejoins)
    onRemote: () => undefined, // viewers send nothing
  });
  media.join();
  // #endregion
  sessionStorage.setItem(LIVE_KEY, stream.streamId);
  showCamera(local);
  logRoomErrors(room);
  const link = `/watch.html?stream=${stream.streamId}`;
  $('#live-status').replaceChildren(
    'You are live · viewers ',
    h('b', { id: 'live-viewers' }, '0'),
    ' · ',
    h('a', { id: 'watch-link', href: link, target: '_blank' }, 'watch link'),
  );
  const update = (s: any) => ($('#live-viewers').textContent = String(s.viewerCount));
  room.onStateChange(update);
  update(room.state); // the first state may have arrived while createMedia awaited
  $('#end-live').hidden = false;
  onClick('#end-live', async () => {
    sessionStorage.removeItem(LIVE_KEY);
    room.send('live-stream:end', {});
    media.close();
    $('#live-status').textContent = 'Stream ended';
  });
  expose({ room, streamId: stream.streamId });
}

// --- PK battle -----------------------------------------------------------------------------

async function joinBattle(battleId: string, roomId: string): Promise<void> {
  const local = await getCamera();
  const room = await roomClient().joinById(roomId);
  logRoomErrors(room);
  const remote = $<HTMLVideoElement>('#opponent');
  room.onStateChange((s: any) => {
    $('#pk-phase').textContent = s.phase;
    $('#pk-scores').textContent = `${s.hostA.name} ${s.hostA.score} : ${s.hostB.score} ${s.hostB.name}`;
  });
  room.onMessage('pk-battle:ended', (e: any) => {
    $('#pk-result').textContent = e.winner
      ? `Winner: ${e.winner === room.state.hostA.id ? room.state.hostA.name : room.state.hostB.name}`
      : 'Draw';
  });
  const media = await createMedia(room, {
    local,
    shouldOffer: (_userId, reason) => reason === 'existing', // mesh: the host who joins second offers
    onRemote: (_userId, stream) => show(remote, stream),
  });
  media.join();
  $('#pk-link').replaceChildren(h('a', { href: `/watch.html?battle=${battleId}`, target: '_blank' }, 'viewer link'));
  expose({ pkRoom: room, battleId });
}

async function inbox(): Promise<Room> {
  const room = await roomClient().joinOrCreate('inbox');
  room.onMessage('*', () => undefined);
  room.onMessage('inbox:backlog', () => undefined);
  room.onMessage('pk-battle:invited', (invite: any) => {
    const accept = h(
      'button',
      { type: 'button', class: 'accept' },
      `Accept battle from ${invite.from?.username ?? 'a host'}`,
    );
    accept.onclick = () =>
      api('POST', `/api/pk-battles/${invite.battleId}/accept`)
        .then(() => joinBattle(invite.battleId, invite.roomId))
        .then(() => accept.remove())
        .catch((err) => log(`accept: ${(err as Error).message}`, 'error'));
    $('#invites').append(accept);
  });
  room.send('inbox:sync', {});
  return room;
}

async function challenge(): Promise<void> {
  const battle = await api('POST', '/api/pk-battles', {
    opponent: value('#opponent-id'),
    duration: Number(value('#pk-minutes') || 1),
  });
  log(`Battle created; waiting for the opponent to accept`);
  await joinBattle(battle.battleId, battle.roomId);
}

// --- shopping ------------------------------------------------------------------------------

let shop: { sessionId: string; roomId: string } | undefined;
async function openShop(): Promise<void> {
  const s = await api('POST', '/api/live-shopping', { title: value('#shop-title') || 'My shop' });
  await api('POST', `/api/live-shopping/${s.sessionId}/start`);
  shop = s;
  const room = await roomClient().joinById(s.roomId);
  logRoomErrors(room, 'live-shopping:error');
  room.onMessage('live-shopping:order', (o: any) =>
    log(`Order: ${o.buyer.name} bought ${o.quantity} × ${o.productName}`),
  );
  $('#shop-status').replaceChildren(
    'Shop open · ',
    h('a', { id: 'shop-link', href: `/watch.html?shop=${s.sessionId}`, target: '_blank' }, 'viewer link'),
  );
  $('#shop-products').hidden = false;
  expose({ shopRoom: room, shopSessionId: s.sessionId });
  // Buyers see the seller through the SFU (a shopping room has no mesh).
  if (await hasSfu())
    (await createMedia(room, { local: await getCamera(), shouldOffer: () => false, onRemote: () => undefined })).join();
}

async function addProduct(flash: boolean): Promise<void> {
  if (!shop) throw new Error('open a shop first');
  const price = Number(value('#product-price')); // the currency's major unit (9.99)
  const stock = Number(value('#product-stock'));
  const { product } = await api('POST', '/api/products', { name: value('#product-name'), price, stock });
  const body: Record<string, unknown> = { productId: product.id, livePrice: price, stock };
  if (flash)
    body.flashSale = {
      quantity: Math.min(stock, Number(value('#flash-quantity')) || stock),
      expiresIn: (Number(value('#flash-seconds')) || 60) * 1000, // milliseconds
      price: Number(value('#flash-price') || value('#product-price')),
    };
  await api('POST', `/api/live-shopping/${shop.sessionId}/products`, body);
  await api('POST', `/api/live-shopping/${shop.sessionId}/products/pin`, { productId: product.id });
  log(`${product.name} added${flash ? ' with a flash sale' : ''} and pinned`);
  const pin = h('button', { type: 'button' }, `Pin ${product.name}`);
  pin.onclick = () => void api('POST', `/api/live-shopping/${shop!.sessionId}/products/pin`, { productId: product.id });
  $('#pins').append(pin);
}

// -------------------------------------------------------------------------------------------

async function start(): Promise<void> {
  const me = await signedIn();
  $('#my-id').textContent = me.id;
  $('#studio').hidden = false;
  onClick('#go-live', () => goLive());
  onClick('#challenge', challenge);
  onClick('#open-shop', openShop);
  onClick('#add-product', () => addProduct(false));
  onClick('#flash-sale', () => addProduct(true));
  const resume = sessionStorage.getItem(LIVE_KEY);
  if (resume)
    await goLive(resume).catch((err) => {
      sessionStorage.removeItem(LIVE_KEY);
      log(`The stream you were running is over (${(err as Error).message})`);
    });
  await inbox();
}

start().catch((err) => log(`Studio: ${(err as Error).message}`, 'error'));
