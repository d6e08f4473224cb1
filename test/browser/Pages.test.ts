/**
 * The demo pages in real Chromium against a server process started like `npm start` (the web
 * client bundles on first request): a host goes live with the fake camera, viewers see it,
 * PK battle scores and results, a flash sale selling out, ten viewers at once.
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServerProcess, type ServerProcess } from '../../loadtest/lib/serverProcess';
import { api, config, registerUser, server, type TestUser, testEnv } from '../helpers';
import { launchChromium, pageAs, requireChromium, screenshot, twoHostPanel } from './chromium';

declare const window: any;
declare const document: any;

/** Frames the page's media has decoded so far. */
const frames = (page: Page): Promise<number> => page.evaluate(() => window.liveArena?.framesDecoded?.() ?? 0);

/** Polls until the page has decoded video frames (page.waitForFunction does not await a promise). */
async function waitForFrames(page: Page, ms = 15_000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const n = await frames(page);
    if (n > 0) return n;
    if (Date.now() > deadline) throw new Error(`no video frames decoded within ${ms} ms on ${page.url()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Browser pages (Chromium)', function () {
  this.timeout(60_000);
  let proc: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let host: TestUser;
  let hostPage: Page & { errors: string[] };
  let streamId: string;
  const url = (p: string) => `${proc.url}${p}`;
  const user = (prefix: string) => registerUser(prefix, proc.url);

  before(async function () {
    this.timeout(90_000);
    requireChromium(this);
    const env = testEnv();
    [proc, browser] = await Promise.all([
      startServerProcess({
        JWT_SECRET: env.JWT_SECRET!,
        DATABASE_URL: (server().context.ds.options as { url?: string }).url!,
        DATABASE_SCHEMA: config().DATABASE_SCHEMA,
        REDIS_URL: '',
        STUN_SERVER_URL: 'none', // loopback only: no public STUN server
        PK_MINUTE_MS: '8000',
        PK_COUNTDOWN_MS: '200',
        PK_RESULT_PHASE_MS: '5000',
      }),
      launchChromium(),
    ]);
    context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await proc?.stop();
  });

  it('serves the pages at / with their bundled scripts', async () => {
    const home = await fetch(url('/'));
    assert.equal(home.status, 200);
    assert.match(await home.text(), /<script type="module" src="\/js\/watch.js">/);
    for (const name of ['watch', 'studio', 'multihost']) {
      const js = await fetch(url(`/js/${name}.js`));
      assert.equal(js.status, 200, name);
      assert.match(js.headers.get('content-type') ?? '', /javascript/);
    }
  });

  it('a host goes live with the fake camera; a viewer page shows the video, again after it reloads and after the host reloads', async () => {
    host = await user('cam');
    const viewer = await user('eye');
    hostPage = await pageAs(context, host);
    await hostPage.goto(url('/studio.html'));
    await hostPage.click('#go-live');
    await hostPage.waitForSelector('#watch-link', { timeout: 10_000 });
    streamId = await hostPage.evaluate(() => window.liveArena.streamId);

    const page = await pageAs(context, viewer);
    const opened = Date.now();
    await page.goto(url(`/watch.html?stream=${streamId}`));
    const decoded = await waitForFrames(page);
    const firstFrameMs = await page.evaluate(() => window.liveArena.firstFrameMs());
    console.log(
      `      first frame ${firstFrameMs} ms after the join (${Date.now() - opened} ms after opening the page)`,
    );
    assert.ok(decoded > 0);
    await page.waitForFunction(() => document.querySelector('#viewers')?.textContent === '1');
    await screenshot(hostPage, 'studio-live');
    await screenshot(page, 'watch-stream');

    await page.reload();
    assert.ok((await waitForFrames(page)) > 0, 'video again after the reload');
    // The host replaced the dead connection instead of reusing it: one connection, one viewer.
    await hostPage.waitForFunction(() => window.liveArena.media.pcs.size === 1, undefined, { timeout: 5000 });
    await screenshot(page, 'watch-stream-reloaded');

    // The host reloads the Studio: it rejoins its running stream, the viewer offers again on a new connection.
    await page.evaluate(() => {
      for (const pc of window.liveArena.media.pcs.values()) pc.__beforeHostReload = true;
    });
    await hostPage.reload();
    await hostPage.waitForSelector('#watch-link', { timeout: 10_000 });
    assert.equal(await hostPage.evaluate(() => window.liveArena.streamId), streamId);
    await page.waitForFunction(
      () => [...window.liveArena.media.pcs.values()].some((pc: any) => !pc.__beforeHostReload),
      undefined,
      { timeout: 10_000 },
    );
    assert.ok((await waitForFrames(page)) > 0, 'video again after the host reloaded');
    assert.deepEqual([...hostPage.errors, ...page.errors], []);
    await page.close();
  });

  it('ten viewer pages join one stream at once: none is cut off, all get video', async function () {
    this.timeout(90_000);
    const viewers = await Promise.all(Array.from({ length: 10 }, (_, i) => user(`ten${i}`)));
    const pages = await Promise.all(viewers.map((v) => pageAs(context, v)));
    await Promise.all(pages.map((p) => p.goto(url(`/watch.html?stream=${streamId}`))));
    const decoded = await Promise.all(pages.map((p) => waitForFrames(p, 45_000)));
    assert.ok(decoded.every((n) => n > 0));
    await hostPage.waitForFunction(() => document.querySelector('#live-viewers')?.textContent === '10');
    const logs = await Promise.all(pages.map((p) => p.textContent('#log')));
    assert.ok(
      logs.every((l) => !/left the room/.test(l ?? '')),
      'a viewer was cut off',
    );
    await screenshot(hostPage, 'studio-ten-viewers');
    // End the stream: the pages below should not share the CPU with eleven live video connections.
    await Promise.all([...pages, hostPage].map((p) => p.close()));
  });

  it('PK battle: two Studio hosts battle on camera; a viewer gift moves each score on screen within a second; the result shows', async () => {
    const [a, b, fan] = await Promise.all([user('pka'), user('pkb'), user('fan')]);
    const [pageA, pageB, viewer] = await Promise.all([pageAs(context, a), pageAs(context, b), pageAs(context, fan)]);
    await Promise.all([pageA.goto(url('/studio.html')), pageB.goto(url('/studio.html'))]);
    await pageA.fill('#opponent-id', b.id);
    await pageA.click('#challenge');
    await pageA.waitForFunction(() => window.liveArena?.battleId);
    const battleId = await pageA.evaluate(() => window.liveArena.battleId);
    await viewer.goto(url(`/watch.html?battle=${battleId}`));
    await viewer.waitForSelector('#side-A .gift');
    await pageB.click('.accept', { timeout: 10_000 });
    await viewer.waitForFunction(() => document.querySelector('#phase')?.textContent === 'battle', undefined, {
      timeout: 10_000,
    });
    const coins = Number(await viewer.textContent('#coins'));
    for (const side of ['A', 'B']) {
      const before = await viewer.textContent(`#score-${side}`);
      const clicked = Date.now();
      await viewer.click(`#side-${side} .gift[data-gift="rose"]`);
      await viewer.waitForFunction(
        ([sel, was]) => document.querySelector(sel)?.textContent !== was,
        [`#score-${side}`, before] as const,
        { timeout: 1000, polling: 'raf' },
      );
      console.log(`      host ${side}: score on screen ${Date.now() - clicked} ms after the click`);
    }
    await viewer.waitForFunction((c) => Number(document.querySelector('#coins')?.textContent) === c - 2, coins);
    // The hosts see each other on camera (mesh between the two hosts).
    assert.ok((await waitForFrames(pageA)) > 0, 'host A sees host B');
    assert.ok((await waitForFrames(pageB)) > 0, 'host B sees host A');
    await screenshot(viewer, 'watch-pk-live');
    await screenshot(pageA, 'studio-pk');
    await viewer.waitForSelector('#result:not([hidden])', { timeout: 15_000 });
    assert.match((await viewer.textContent('#result')) ?? '', /^(Winner: |Draw)/);
    await screenshot(viewer, 'watch-pk-result');
    assert.deepEqual([...pageA.errors, ...pageB.errors, ...viewer.errors], []);
    await Promise.all([pageA.close(), pageB.close(), viewer.close()]);
  });

  it('shopping: the Studio starts a flash sale, a viewer sees it count down; buying the last unit shows sold out on another viewer', async () => {
    const [seller, buyer, other] = await Promise.all([user('shop'), user('buy'), user('look')]);
    const [studio, first, second] = await Promise.all([
      pageAs(context, seller),
      pageAs(context, buyer),
      pageAs(context, other),
    ]);
    await studio.goto(url('/studio.html'));
    await studio.click('#open-shop');
    await studio.waitForSelector('#shop-link');
    await studio.fill('#product-name', 'Last mug');
    await studio.fill('#product-stock', '1');
    await studio.fill('#flash-quantity', '1');
    await studio.fill('#flash-seconds', '30');
    await studio.click('#flash-sale');
    await studio.waitForSelector('#pins button');
    const sessionId = await studio.evaluate(() => window.liveArena.shopSessionId);
    await Promise.all([first, second].map((p) => p.goto(url(`/watch.html?shop=${sessionId}`))));
    await Promise.all([first, second].map((p) => p.waitForSelector('#flash:not([hidden])')));
    const startedAt = Number(await second.textContent('#countdown'));
    await second.waitForFunction((s) => Number(document.querySelector('#countdown')?.textContent) < s, startedAt, {
      timeout: 3000,
    });
    assert.equal(await second.textContent('#product-name'), 'Last mug');
    await screenshot(second, 'watch-shop-flash-sale');
    await first.click('#buy');
    await first.waitForFunction(() => /^Ordered 1/.test(document.querySelector('#order-status')?.textContent ?? ''));
    await second.waitForSelector('#sold-out:not([hidden])', { timeout: 3000 });
    assert.equal(await second.isDisabled('#buy'), true);
    await screenshot(second, 'watch-shop-sold-out');
    await screenshot(studio, 'studio-shop');
    assert.deepEqual([...studio.errors, ...first.errors, ...second.errors], []);
    await Promise.all([studio.close(), first.close(), second.close()]);
  });

  it('monitor: 401 without credentials; with them the room list shows a live battle with its title, host and viewers', async () => {
    const bare = await browser.newContext();
    try {
      // Headless Chromium has no credentials prompt: the 401 challenge fails the navigation.
      await assert.rejects((await bare.newPage()).goto(url('/monitor/')), /ERR_INVALID_AUTH_CREDENTIALS/);
      assert.equal((await fetch(url('/monitor/'))).status, 401);
    } finally {
      await bare.close();
    }
    const [a, b, fan] = await Promise.all([user('mona'), user('monb'), user('monv')]);
    const created = await api('POST', '/api/pk-battles', {
      token: a.token,
      body: { opponent: b.id, duration: 1 },
      baseUrl: proc.url,
    });
    assert.equal(created.status, 201);
    const battleId = created.body.data.battleId;
    const viewer = await pageAs(context, fan);
    await viewer.goto(url(`/watch.html?battle=${battleId}`));
    await viewer.waitForSelector('#side-A .gift');
    const accepted = await api('POST', `/api/pk-battles/${battleId}/accept`, { token: b.token, baseUrl: proc.url });
    assert.equal(accepted.status, 200);
    await viewer.waitForFunction(() => document.querySelector('#phase')?.textContent === 'battle');

    const operator = await browser.newContext({
      httpCredentials: { username: 'admin', password: proc.env.OPERATOR_PASSWORD! },
      viewport: { width: 1400, height: 800 },
    });
    try {
      const page = await operator.newPage();
      const res = await page.goto(url('/monitor/'));
      assert.equal(res?.status(), 200);
      const title = `PK: ${a.username} vs ${b.username}`;
      const row = page.locator('[role="row"], tr', { hasText: title });
      await row.first().waitFor({ timeout: 10_000 });
      const text = (await row.first().textContent()) ?? '';
      assert.match(text, /pk_battle/);
      assert.ok(text.includes(`${a.username}, ${b.username}`), text);
      // The viewer column follows the room (written at most once a second).
      await page.waitForFunction(
        (t) =>
          [...document.querySelectorAll('[role="row"], tr')].some(
            (r: any) => r.textContent.includes(t) && / 1 ?1 ?\d+s/.test(r.innerText.replace(/\s+/g, ' ')),
          ),
        title,
        { timeout: 5000 },
      );
      await screenshot(page, 'monitor');
    } finally {
      await operator.close();
      await viewer.close();
    }
  });

  it('multi-host: two hosts on stage see each other in the layout tiles; a viewer sees the tiles', async () => {
    const [owner, guest, fan] = await Promise.all([user('mho'), user('mhg'), user('mhv')]);
    const sessionId = await twoHostPanel(proc.url, owner, guest, 'Browser panel');
    const [a, b, viewer] = await Promise.all([pageAs(context, owner), pageAs(context, guest), pageAs(context, fan)]);
    await a.goto(url(`/multihost.html?session=${sessionId}`));
    await a.waitForSelector('#stage .tile');
    await b.goto(url(`/multihost.html?session=${sessionId}`));
    assert.ok((await waitForFrames(a)) > 0, 'the owner sees the guest');
    assert.ok((await waitForFrames(b)) > 0, 'the guest sees the owner');
    await viewer.goto(url(`/multihost.html?session=${sessionId}`));
    await viewer.waitForFunction(() => document.querySelectorAll('#stage .tile').length === 2);
    // Both tiles play on a host's page: its own camera and the other host's video.
    await a.waitForFunction(
      () => [...document.querySelectorAll('#stage .tile video')].every((v: any) => v.srcObject && v.readyState >= 2),
      undefined,
      { timeout: 10_000 },
    );
    await screenshot(a, 'multihost-host');
    await screenshot(viewer, 'multihost-viewer');
    assert.deepEqual([...a.errors, ...b.errors, ...viewer.errors], []);
    await Promise.all([a.close(), b.close(), viewer.close()]);
  });
});
