/** Watch: the live list, and a viewer of a solo stream, a PK battle or a shopping stream. */
import { api, roomClient, uuid } from './api';
import { balance, createMedia, expose, hasSfu, logRoomErrors, signedIn } from './page';
import { $, h, log, money, param, show } from './ui';

const main = $('#main');

async function liveList(): Promise<void> {
  const [streams, battles, shops, sessions] = await Promise.all([
    api('GET', '/api/webrtc/streams/live').catch(() => ({ streams: [] })),
    api('GET', '/api/pk-battles/active/list').catch(() => ({ battles: [] })),
    api('GET', '/api/live-shopping/active/list').catch(() => ({ sessions: [] })),
    api('GET', '/api/multihost/active/list').catch(() => ({ sessions: [] })),
  ]);
  const item = (href: string, text: string) => h('li', {}, h('a', { href }, text));
  main.replaceChildren(
    h('h2', {}, 'Live now'),
    h(
      'ul',
      { id: 'live-list' },
      ...streams.streams.map((s: any) =>
        item(`/watch.html?stream=${s.streamId}`, `📹 ${s.title} — ${s.host.username}`),
      ),
      ...battles.battles.map((b: any) => item(`/watch.html?battle=${b.id}`, `⚔️ ${b.hostAName} vs ${b.hostBName}`)),
      ...shops.sessions.map((s: any) => item(`/watch.html?shop=${s.id}`, `🛍️ ${s.title} — ${s.sellerName ?? ''}`)),
      ...sessions.sessions.map((s: any) => item(`/multihost.html?session=${s.id}`, `👥 ${s.title}`)),
    ),
  );
  if (!main.querySelector('li')) main.append(h('p', {}, 'Nobody is live. Open the Studio in another tab and go live.'));
}

async function watchStream(streamId: string): Promise<void> {
  const video = h('video', { id: 'remote', autoplay: '', playsinline: '' });
  video.muted = true; // autoplay without a click; the viewer unmutes
  let joinedAt = 0;
  let firstFrameMs: number | undefined;
  const attach = (stream: MediaStream) => {
    show(video, stream);
    video.requestVideoFrameCallback(() => {
      firstFrameMs ??= Math.round(performance.now() - joinedAt);
      $('#status').textContent = `watching (first frame after ${firstFrameMs} ms)`;
    });
  };
  // #region docs:viewer
  const info = await api('GET', `/api/webrtc/stream/${streamId}/join`); // { roomId, title, host, iceServers }
  const room = await roomClient().joinById(info.roomId);
  const media = await createMedia(room, {
    shouldOffer: (userId) => userId === info.host.id, // mesh: a viewer offers only to the host, receive-only
    onRemote: (_userId, stream) => attach(stream), // the host's camera
  });
  media.join();
  // #endregion
  joinedAt = performance.now();
  logRoomErrors(room);
  main.replaceChildren(
    h('h2', { id: 'title' }, info.title),
    h('p', {}, 'Host: ', h('b', { id: 'host' }, info.host.username), ' · viewers ', h('span', { id: 'viewers' }, '0')),
    video,
    h('p', { id: 'status' }, 'connecting…'),
  );
  const update = (s: any) => {
    $('#viewers').textContent = String(s.viewerCount);
    if (s.status === 'ended') $('#status').textContent = 'The stream has ended';
  };
  room.onStateChange(update);
  update(room.state); // the first state may have arrived while createMedia awaited
  room.onMessage('live-stream:ended', () => ($('#status').textContent = 'The stream has ended'));
  expose({ room, firstFrameMs: () => firstFrameMs });
}

async function watchBattle(battleId: string): Promise<void> {
  const battle = await api('GET', `/api/pk-battles/${battleId}`);
  const [{ gifts }, coins] = await Promise.all([api('GET', '/api/gifts'), balance()]);
  const room = await roomClient().joinById(battle.roomId);
  logRoomErrors(room);
  const side = (key: 'A' | 'B') =>
    h(
      'div',
      { class: 'side', id: `side-${key}` },
      h('h3', { class: 'name' }),
      Object.assign(h('video', { autoplay: '', playsinline: '', hidden: '' }), { muted: true }),
      h('div', { class: 'score', id: `score-${key}` }, '0'),
      h('div', { class: 'gifts' }),
    );
  main.replaceChildren(
    h('h2', {}, 'PK battle'),
    h(
      'p',
      {},
      'Phase: ',
      h('b', { id: 'phase' }),
      ' · ',
      h('span', { id: 'clock' }),
      ' · viewers ',
      h('span', { id: 'viewers' }),
    ),
    h('p', {}, 'Your coins: ', h('b', { id: 'coins' }, String(coins))),
    h('div', { class: 'battle' }, side('A'), side('B')),
    h('p', { id: 'result', hidden: '' }),
  );
  const hosts: Record<'A' | 'B', string> = { A: battle.hostA, B: battle.hostB };
  for (const key of ['A', 'B'] as const) {
    const box = $(`#side-${key} .gifts`);
    for (const g of gifts)
      box.append(
        Object.assign(h('button', { type: 'button', class: 'gift', 'data-gift': g.id }, `${g.name} (${g.coins})`), {
          onclick: () => room.send('gift', { giftId: g.id, to: hosts[key], requestId: uuid() }),
        }),
      );
  }
  const setScore = (userId: string, score: number) => {
    for (const key of ['A', 'B'] as const) if (hosts[key] === userId) $(`#score-${key}`).textContent = String(score);
  };
  let endsAt = 0;
  room.onStateChange((s: any) => {
    $('#phase').textContent = s.phase;
    $('#viewers').textContent = String(s.viewerCount);
    endsAt = s.phase === 'battle' ? s.endsAt : s.phase === 'countdown' ? s.startsAt : 0;
    for (const key of ['A', 'B'] as const) {
      const host = s[`host${key}`];
      $(`#side-${key} .name`).textContent = host.name;
      setScore(host.id, host.score);
    }
  });
  setInterval(() => {
    $('#clock').textContent = endsAt ? `${Math.max(0, Math.ceil((endsAt - Date.now()) / 1000))} s` : '';
  }, 250);
  room.onMessage('pk-battle:gift', (e: any) => {
    for (const [userId, score] of Object.entries(e.scores)) setScore(userId, score as number);
  });
  room.onMessage('pk-battle:gift-accepted', (a: any) => ($('#coins').textContent = String(a.balance)));
  // Both hosts' cameras, through the SFU (viewers have no mesh path in a battle).
  if (await hasSfu())
    (
      await createMedia(room, {
        shouldOffer: () => false,
        onRemote: (userId, stream) => {
          for (const key of ['A', 'B'] as const) {
            const video = $<HTMLVideoElement>(`#side-${key} video`);
            if (hosts[key] !== userId) continue;
            video.hidden = false;
            show(video, stream);
          }
        },
      })
    ).join();
  room.onMessage('pk-battle:ended', (e: any) => {
    for (const [userId, score] of Object.entries(e.scores)) setScore(userId, score as number);
    const winner = e.winner === hosts.A ? $('#side-A .name').textContent : $('#side-B .name').textContent;
    const result = $('#result');
    result.textContent = e.winner ? `Winner: ${winner}` : 'Draw';
    result.hidden = false;
  });
  expose({ room });
}

async function watchShop(sessionId: string): Promise<void> {
  const shop = await api('GET', `/api/live-shopping/${sessionId}`);
  const room = await roomClient().joinById(shop.roomId);
  logRoomErrors(room, 'live-shopping:error');
  main.replaceChildren(
    h('h2', {}, shop.title),
    h('p', {}, 'Seller: ', h('b', {}, shop.sellerName ?? ''), ' · viewers ', h('span', { id: 'viewers' })),
    h('video', { id: 'seller', autoplay: '', playsinline: '', hidden: '' }),
    h('div', { id: 'pinned', class: 'card', hidden: '' }),
    h('p', { id: 'order-status' }),
  );
  let state: any;
  // The card is built once and updated in place, so the buy button stays put under the pointer.
  const name = h('h3', { id: 'product-name' });
  const price = h('b', { id: 'price' });
  const stock = h('p', { id: 'stock' });
  const countdown = h('b', { id: 'countdown' });
  const flashLeft = h('span');
  const flash = h(
    'p',
    { id: 'flash', class: 'flash' },
    '⚡ Flash sale: ',
    flashLeft,
    ' at this price, ends in ',
    countdown,
    ' s',
  );
  const soldOutBanner = h('p', { id: 'sold-out', class: 'banner' }, 'SOLD OUT');
  const buy = h('button', { id: 'buy', type: 'button' }, 'Buy now');
  $('#pinned').append(name, h('p', { class: 'price' }, price), stock, flash, soldOutBanner, buy);
  buy.onclick = () => room.send('order', { productId: state.pinnedProductId, quantity: 1, idempotencyKey: uuid() });
  const render = () => {
    const p = state?.pinnedProductId ? state.products.get(state.pinnedProductId) : undefined;
    $('#pinned').hidden = !p;
    if (!p) return;
    const left = p.flashActive ? Math.max(0, Math.ceil((p.flashEndsAt - Date.now()) / 1000)) : 0;
    name.textContent = p.name;
    price.textContent = money(p.currentPrice, state.currency);
    stock.textContent = `${p.remaining} left`;
    flash.hidden = !(p.flashActive && left > 0);
    flashLeft.textContent = String(p.flashRemaining);
    countdown.textContent = String(left);
    soldOutBanner.hidden = p.remaining > 0;
    buy.toggleAttribute('disabled', p.remaining === 0);
  };
  room.onStateChange((s: any) => {
    state = s;
    $('#viewers').textContent = String(s.viewerCount);
    render();
  });
  setInterval(render, 250);
  room.onMessage('live-shopping:order-result', (r: any) => {
    $('#order-status').textContent = `Ordered ${r.order.quantity} for ${money(r.order.total, r.order.currency)}`;
  });
  room.onMessage('live-shopping:error', (e: any) => ($('#order-status').textContent = `${e.code}: ${e.message}`));
  // The seller's camera, through the SFU (a shopping room has no mesh).
  $<HTMLVideoElement>('#seller').muted = true;
  if (await hasSfu())
    (
      await createMedia(room, {
        shouldOffer: () => false,
        onRemote: (_id, stream) => {
          $('#seller').hidden = false;
          show($('#seller'), stream);
        },
      })
    ).join();
  expose({ room });
}

async function main_(): Promise<void> {
  await signedIn();
  const stream = param('stream');
  const battle = param('battle');
  const shop = param('shop');
  if (stream) await watchStream(stream);
  else if (battle) await watchBattle(battle);
  else if (shop) await watchShop(shop);
  else await liveList();
}

main_().catch((err) => log(`Could not open: ${(err as Error).message}`, 'error'));
