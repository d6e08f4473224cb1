/**
 * npm run loadtest -- <scenario> [--option=value ...]
 * Starts the server in its own process, runs the scenario's bots here, prints a summary
 * and writes loadtest/reports/<scenario>-<time>.json. Exit code 1 when a check fails.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { type Options, runBaseline, type Scenario, startProgress, summarize, writeReport } from './lib/harness';
import { startServerProcess } from './lib/serverProcess';

function parseArgs(argv: string[], defaults: Options): Options {
  const opts: Options = { ...defaults };
  for (const a of argv) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`bad argument ${a}`);
    const key = m[1]!.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown option --${m[1]} (known: ${Object.keys(defaults).join(', ')})`);
    const def = defaults[key];
    const raw = m[2] ?? 'true';
    opts[key] = typeof def === 'number' ? Number(raw) : typeof def === 'boolean' ? raw !== 'false' : raw;
  }
  return opts;
}

async function main() {
  const [name, ...rest] = process.argv.slice(2);
  const available = readdirSync(path.join(__dirname, 'scenarios')).map((f) => f.replace(/\.ts$/, ''));
  if (!name || !available.includes(name)) {
    console.error(`usage: npm run loadtest -- <scenario> [--option=value]\nscenarios: ${available.join(', ')}`);
    process.exit(2);
  }
  const scenario: Scenario<Options> = (await import(`./scenarios/${name}`)).default;
  const opts = parseArgs(rest, scenario.defaults);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(`${scenario.name}: ${scenario.description}\noptions ${JSON.stringify(opts)}`);
  const server = await startServerProcess(scenario.serverEnv?.(opts) ?? {}, { ownDatabase: scenario.needsDatabase });
  log(`server pid ${server.pid} at ${server.url}`);
  try {
    const result = await scenario.run({
      server,
      opts,
      progress: (line) => startProgress(line, log),
      baseline: (shape) => runBaseline(server, shape, log),
    });
    const file = writeReport(scenario.name, opts, result);
    console.log(summarize(scenario.name, result));
    console.log(`report: ${path.relative(process.cwd(), file)}`);
    process.exitCode = result.checks.every((c) => c.pass) ? 0 : 1;
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
