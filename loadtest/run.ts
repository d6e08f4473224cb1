/**
 * npm run loadtest -- <scenario> [--option=value ...] [--profile]
 * Starts the server in its own process (two on one database and Redis for a scenario that asks for a
 * cluster), runs the scenario's bots here and in worker threads, prints a summary and writes
 * loadtest/reports/<scenario>-<time>.json. Exit code 1 when a check fails. With --profile the server
 * runs under `node --cpu-prof`; the report summarises its top frames for each measured phase.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { type Options, runBaseline, type Scenario, startProgress, summarize, writeReport } from './lib/harness';
import { formatProfile, type ProfileSummary, summariseProfile } from './lib/profile';
import { logger } from '../src/logger';
import { newSharedSetup, type ServerProcess, startLoadDatabase, startServerProcess } from './lib/serverProcess';

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

/** Self-time summaries of each server's profile, one per measured phase (marks `<phase>:start` / `<phase>:end`). */
function profileSummaries(servers: ServerProcess[]): ProfileSummary[] {
  const out: ProfileSummary[] = [];
  for (const s of servers) {
    if (!s.profileDir) continue;
    const file = readdirSync(s.profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) continue;
    const full = path.join(s.profileDir, file);
    const phases = s.marks.filter((m) => m.name.endsWith(':start')).map((m) => m.name.slice(0, -':start'.length));
    for (const phase of phases) {
      const from = s.marks.find((m) => m.name === `${phase}:start`)!.us;
      const to = s.marks.find((m) => m.name === `${phase}:end`)?.us ?? Number.MAX_SAFE_INTEGER;
      const sum = summariseProfile(full, { phase: `${phase}, pid ${s.pid}`, fromUs: from, toUs: to });
      // No sample inside the phase would mean the clocks differ: fall back to the whole run, and say so.
      out.push(
        sum.sampledMs > 0
          ? sum
          : summariseProfile(full, { phase: 'whole run (phase clock mismatch)', fromUs: 0, toUs: Infinity }),
      );
    }
    if (phases.length === 0) out.push(summariseProfile(full));
  }
  return out;
}

async function main() {
  const [name, ...args] = process.argv.slice(2);
  const available = readdirSync(path.join(__dirname, 'scenarios')).map((f) => f.replace(/\.ts$/, ''));
  if (!name || !available.includes(name)) {
    console.error(
      `usage: npm run loadtest -- <scenario> [--option=value] [--profile]\nscenarios: ${available.join(', ')}`,
    );
    process.exit(2);
  }
  const profile = args.includes('--profile');
  const scenario: Scenario<Options> = (await import(`./scenarios/${name}`)).default;
  const opts = parseArgs(
    args.filter((a) => a !== '--profile'),
    scenario.defaults,
  );
  const log = (s: string) => process.stderr.write(`${s}\n`);
  logger.level = 'warn'; // quiets the load database's own start lines
  log(
    `${scenario.name}: ${scenario.description}\noptions ${JSON.stringify(opts)}${profile ? ' (profiling the server)' : ''}`,
  );
  const nProcesses = scenario.processes?.(opts) ?? 1;
  const shared = newSharedSetup();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const extraEnv = scenario.serverEnv?.(opts) ?? {};
  // A cluster: every process on one database and one Redis (LOADTEST_REDIS_URL, default the local one).
  const db = nProcesses > 1 && !process.env.LOADTEST_DATABASE_URL ? await startLoadDatabase() : undefined;
  if (nProcesses > 1) {
    shared.databaseUrl = process.env.LOADTEST_DATABASE_URL ?? db!.url;
    shared.redisUrl = process.env.LOADTEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
    if (process.env.LOADTEST_DATABASE_URL) extraEnv.DATABASE_SCHEMA = `load_${stamp.slice(-12, -1).replace(/-/g, '')}`;
  }
  const servers: ServerProcess[] = [];
  let result: Awaited<ReturnType<Scenario<Options>['run']>> | undefined;
  try {
    // One after the other: the first runs the migrations.
    for (let i = 0; i < nProcesses; i++) {
      servers.push(
        await startServerProcess(extraEnv, {
          ownDatabase: scenario.needsDatabase,
          shared: nProcesses > 1 ? shared : undefined,
          profileDir: profile
            ? path.join(__dirname, 'reports', `profile-${scenario.name}-${stamp}`, `p${i}`)
            : undefined,
        }),
      );
      log(`server pid ${servers[i]!.pid} at ${servers[i]!.url}`);
    }
    result = await scenario.run({
      server: servers[0]!,
      servers,
      opts,
      progress: (line) => startProgress(line, log),
      baseline: (shape) => runBaseline(servers[0]!, shape, log),
    });
  } finally {
    for (const s of servers.reverse()) await s.stop();
    servers.reverse();
    await db?.stop();
  }
  const profiles = profile ? profileSummaries(servers) : [];
  const file = writeReport(scenario.name, { ...opts, processes: nProcesses }, { ...result, profiles });
  console.log(summarize(scenario.name, result));
  for (const p of profiles) console.log(formatProfile(p));
  console.log(`report: ${path.relative(process.cwd(), file)}`);
  process.exitCode = result.checks.every((c) => c.pass) ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
