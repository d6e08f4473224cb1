/**
 * The demo pages watching through a real SFU: Janus in a network namespace (test/janusNetns.ts),
 * a server process started like `npm start` with JANUS_URL pointing at it, Debian's Chromium with
 * the fake camera. Hosts publish once; viewers of a solo stream, a PK battle, a multi-host session
 * and a shopping stream decode the hosts' video frames that came through Janus. Skipped with one
 * line when Chromium or Janus cannot run here; with CI=true that is a failure instead.
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServerProcess, type ServerProcess } from '../../loadtest/lib/serverProcess';
import { config, registerUser, server, testEnv } from '../helpers';
import { type JanusInNetns, janusUnavailable, startJanus } from '../janusNetns';
import { launchChromium, pageAs, requireChromium, screenshot, twoHostPanel } from './chromium';

declare const window: any;
declare const document: any;

/** Video frames a page has decoded, once more than `after` (polled: waitForFunction does not await a promise). */
async function framesAfter(page: Page, after = 0, ms = 15_000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const n: number = await page.evaluate(() => window.liveArena?.framesDecoded?.() ?? 0);
    if (n > after) return n;
    if (Date.now() > deadline) throw new Error(`no new video frames within ${ms} ms on ${page.url()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The SFU path's connections on a page (MeshMedia keys its connections by peer user id instead). */
const connections = (page: Page): Promise<string[]> => page.evaluate(() => [...window.liveArena.media.pcs.keys()]);

describe('Browser pages through a real SFU (Chromium + Janus)', function () {
  this.timeout(40_000);
  const unavailable = janusUnavailable();
  let janus: JanusInNetns;
  let proc: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  const url = (p: string) => `${proc.url}${p}`;
  const user = (prefix: string) => registerUser(prefix, proc.url);

  before(async function () {
    this.timeout(60_000);
    requireChromium(this);
    if (unavailable) {
      if (process.env.CI === 'true') throw new Error(`browser SFU suite must run in CI but cannot: ${unavailable}`);
      console.log(`      browser SFU suite skipped: ${unavailable}`);
      this.skip();
    }
    janus = await startJanus();
    const env = testEnv();
    [proc, browser] = await Promise.all([
      startServerProcess({
        JWT_SECRET: env.JWT_SECRET!,
        DATABASE_URL: (server().context.ds.options as { url?: string }).url!,
        DATABASE_SCHEMA: config().DATABASE_SCHEMA,
        REDIS_URL: '',
        STUN_SERVER_URL: 'none',
        JANUS_URL: janus.url,
        JANUS_API_SECRET: janus.apiSecret,
        JANUS_ADMIN_KEY: janus.adminKey,
        PK_MINUTE_MS: '60000',
        PK_COUNTDOWN_MS: '200',
      }),
      launchChromium(),
    ]);
    context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    const health = (await (await fetch(url('/healthz'))).json()) as { checks: { sfu: string } };
    assert.equal(health.checks.sfu, 'ok', JSON.stringify(health));
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await proc?.stop();
    await janus?.stop();
  });

  it('solo stream: the host publishes once; two viewers decode its video from Janus', async () => {
    const [host, v1, v2] = await Promise.all([user('sfuh'), user('sfuv'), user('sfuw')]);
    const [hostPage, a, b] = await Promise.all([pageAs(context, host), pageAs(context, v1), pageAs(context, v2)]);
    await hostPage.goto(url('/studio.html'));
    await hostPage.click('#go-live');
    await hostPage.waitForSelector('#watch-link', { timeout: 10_000 });
    const streamId = await hostPage.evaluate(() => window.liveArena.streamId);
    await Promise.all([a, b].map((p) => p.goto(url(`/watch.html?stream=${streamId}`))));
    for (const p of [a, b]) {
      const before = await framesAfter(p);
      assert.ok((await framesAfter(p, before)) > before, 'frames keep coming');
      assert.ok((await p.evaluate(() => document.querySelector('#remote').videoWidth)) > 0);
      assert.deepEqual(await connections(p), ['subscriber']);
    }
    // One upload, whatever the audience: the host's only connection is the one to the SFU.
    assert.deepEqual(await connections(hostPage), ['publisher']);
    // The host publishes simulcast (which layer Janus forwards after webrtc:layer-selected is test/rtc/Sfu.test.ts's:
    // in Chromium it switched in most runs but not all, so it is not asserted here).
    assert.equal(await a.evaluate(() => [...window.liveArena.room.state.feeds.values()][0].simulcast), true);
    await screenshot(a, 'sfu-watch-stream');
    assert.deepEqual([...hostPage.errors, ...a.errors, ...b.errors], []);
    await Promise.all([hostPage.close(), a.close(), b.close()]);
  });

  it('Janus restarts: the host publishes again and the viewer watches again on a new connection', async () => {
    const [host, fan] = await Promise.all([user('sfrh'), user('sfrv')]);
    const [hostPage, viewer] = await Promise.all([pageAs(context, host), pageAs(context, fan)]);
    await hostPage.goto(url('/studio.html'));
    await hostPage.click('#go-live');
    await hostPage.waitForSelector('#watch-link', { timeout: 10_000 });
    await viewer.goto(url(`/watch.html?stream=${await hostPage.evaluate(() => window.liveArena.streamId)}`));
    await framesAfter(viewer);
    await viewer.evaluate(() => (window.liveArena.media.pcs.get('subscriber').__beforeReset = true));
    await janus.restart();
    // webrtc:sfu-reset: the old connection is closed, a new subscription starts once the host's feed is back.
    await viewer.waitForFunction(
      () => {
        const pc = window.liveArena.media.pcs.get('subscriber');
        return pc && !pc.__beforeReset;
      },
      undefined,
      { timeout: 20_000 },
    );
    assert.ok((await framesAfter(viewer)) > 0, 'video again after the SFU restart');
    assert.deepEqual(await connections(hostPage), ['publisher']);
    assert.deepEqual([...hostPage.errors, ...viewer.errors], []);
    await Promise.all([hostPage.close(), viewer.close()]);
  });

  it('PK battle: a viewer sees both hosts through Janus (video frames decoded in both tiles)', async () => {
    const [hostA, hostB, fan] = await Promise.all([user('sfpa'), user('sfpb'), user('sfpv')]);
    const [pageA, pageB, viewer] = await Promise.all([
      pageAs(context, hostA),
      pageAs(context, hostB),
      pageAs(context, fan),
    ]);
    await Promise.all([pageA.goto(url('/studio.html')), pageB.goto(url('/studio.html'))]);
    await pageA.fill('#opponent-id', hostB.id);
    await pageA.click('#challenge');
    await pageA.waitForFunction(() => window.liveArena?.battleId);
    const battleId = await pageA.evaluate(() => window.liveArena.battleId);
    await viewer.goto(url(`/watch.html?battle=${battleId}`));
    await viewer.waitForSelector('#side-A .gift');
    await pageB.click('.accept', { timeout: 10_000 });
    await viewer.waitForFunction(
      () => [...document.querySelectorAll('.side video')].every((v: any) => v.videoWidth > 0),
      undefined,
      { timeout: 20_000 },
    );
    const before = await framesAfter(viewer);
    assert.ok((await framesAfter(viewer, before)) > before, 'frames keep coming');
    assert.deepEqual(await connections(viewer), ['subscriber']);
    // The hosts see each other through the SFU too.
    assert.ok((await framesAfter(pageA)) > 0, 'host A sees host B');
    assert.ok((await framesAfter(pageB)) > 0, 'host B sees host A');
    await screenshot(viewer, 'sfu-watch-pk');
    assert.deepEqual([...pageA.errors, ...pageB.errors, ...viewer.errors], []);
    await Promise.all([pageA.close(), pageB.close(), viewer.close()]);
  });

  it('multi-host: a viewer sees both hosts’ tiles play through Janus', async () => {
    const [owner, guest, fan] = await Promise.all([user('sfmo'), user('sfmg'), user('sfmv')]);
    const sessionId = await twoHostPanel(proc.url, owner, guest, 'SFU panel');
    const [a, b, viewer] = await Promise.all([pageAs(context, owner), pageAs(context, guest), pageAs(context, fan)]);
    await Promise.all([a, b, viewer].map((p) => p.goto(url(`/multihost.html?session=${sessionId}`))));
    await viewer.waitForFunction(
      () => {
        const videos = [...document.querySelectorAll('#stage .tile video')];
        return videos.length === 2 && videos.every((v: any) => v.videoWidth > 0);
      },
      undefined,
      { timeout: 20_000 },
    );
    assert.ok((await framesAfter(viewer)) > 0);
    await screenshot(viewer, 'sfu-multihost-viewer');
    assert.deepEqual([...a.errors, ...b.errors, ...viewer.errors], []);
    await Promise.all([a.close(), b.close(), viewer.close()]);
  });

  it('shopping: a buyer sees the seller’s camera through Janus', async () => {
    const [seller, buyer] = await Promise.all([user('sfss'), user('sfsb')]);
    const [studio, page] = await Promise.all([pageAs(context, seller), pageAs(context, buyer)]);
    await studio.goto(url('/studio.html'));
    await studio.click('#open-shop');
    await studio.waitForSelector('#shop-link');
    await page.goto(url(`/watch.html?shop=${await studio.evaluate(() => window.liveArena.shopSessionId)}`));
    await page.waitForFunction(() => document.querySelector('#seller')?.videoWidth > 0, undefined, { timeout: 15_000 });
    assert.ok((await framesAfter(page)) > 0);
    assert.deepEqual(await connections(studio), ['publisher']);
    assert.deepEqual([...studio.errors, ...page.errors], []);
    await Promise.all([studio.close(), page.close()]);
  });
});
