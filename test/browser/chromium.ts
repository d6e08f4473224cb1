/**
 * Real Chromium for the browser suites (Debian `chromium` driven by playwright-core; never a
 * downloaded browser). Fake camera and microphone, loopback ICE candidates, a fresh profile
 * per launch (playwright makes one). Screenshots go to artifacts/browser/ (git-ignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import assert from 'node:assert/strict';
import { api, type TestUser } from '../helpers';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(__dirname, '..', '..', 'artifacts', 'browser');

/** Skips the suite with one line when Chromium is missing, except on CI where that is a failure. */
export function requireChromium(ctx: Mocha.Context): void {
  if (existsSync(CHROMIUM_PATH)) return;
  if (process.env.CI === 'true')
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium)`);
  console.log(`      browser suite skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
  ctx.skip();
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
    ],
  });
}

/** A tab signed in as `user` (the token the pages keep in sessionStorage), page errors collected. */
export async function pageAs(context: BrowserContext, user: TestUser): Promise<Page & { errors: string[] }> {
  const page = (await context.newPage()) as Page & { errors: string[] };
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.addInitScript(
    ({ token, user }) => sessionStorage.setItem('live-arena.session', JSON.stringify({ token, user })),
    { token: user.token, user: { id: user.id, username: user.username, coins: user.coins } },
  );
  return page;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** A started multi-host session with `guest` invited and on stage next to `owner` (through the REST API of `baseUrl`). */
export async function twoHostPanel(baseUrl: string, owner: TestUser, guest: TestUser, title: string): Promise<string> {
  const created = await api('POST', '/api/multihost', {
    token: owner.token,
    body: { title, type: 'panel', layout: 'grid' },
    baseUrl,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const { sessionId } = created.body.data;
  for (const [path, token, body] of [
    [`/api/multihost/${sessionId}/start`, owner.token, undefined],
    [`/api/multihost/${sessionId}/invite`, owner.token, { userId: guest.id }],
    [`/api/multihost/${sessionId}/accept`, guest.token, undefined],
  ] as const) {
    const res = await api('POST', path, { token, body, baseUrl });
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
  }
  return sessionId;
}
