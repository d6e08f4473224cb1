/**
 * The demo web client (web/): static pages from web/public and their scripts, bundled from
 * web/src with esbuild on the first request for one (a few hundred ms, once per process), so
 * `npm start` then http://localhost:2567/ works with no build step. Uses only the public protocol.
 */
import path from 'node:path';
import express from 'express';
import type { Logger } from '../logger';

const WEB = path.join(__dirname, '..', '..', 'web');
export const WEB_ENTRIES = ['watch', 'studio', 'multihost'] as const;

async function bundle(): Promise<Map<string, string>> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: Object.fromEntries(WEB_ENTRIES.map((name) => [name, path.join(WEB, 'src', `${name}.ts`)])),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'inline',
    write: false,
    outdir: '/js',
    logLevel: 'silent',
  });
  return new Map(result.outputFiles.map((f) => [path.basename(f.path), f.text]));
}

export function webClient(logger: Logger): express.Router {
  const r = express.Router();
  let built: Promise<Map<string, string>> | undefined;
  r.get('/js/:file', async (req, res) => {
    built ??= bundle().catch((err: unknown) => {
      built = undefined;
      throw err;
    });
    try {
      const code = (await built).get(req.params.file);
      if (!code) return void res.status(404).type('text/plain').send('Not found');
      res.type('application/javascript').set('cache-control', 'no-cache').send(code);
    } catch (err) {
      logger.error({ err }, 'web client bundle failed');
      res.status(500).type('text/plain').send('The web client failed to build; see the server log');
    }
  });
  r.use(express.static(path.join(WEB, 'public'), { index: 'index.html' }));
  return r;
}
