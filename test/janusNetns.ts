/**
 * Real Janus for tests and load runs. Janus gathers no loopback ICE candidates, so it runs
 * inside a private network namespace joined to ours by a veth pair (a /30 picked per run:
 * 10.99.N.1 on our side, 10.99.N.2 in the namespace), with a config folder of its own
 * (`janus -F <dir>`): only the VideoRoom plugin and the WebSocket transport, an API secret
 * and a VideoRoom admin key. Media and API traffic stay on that pair.
 *
 *   const janus = await startJanus();   // or a reason string from janusUnavailable()
 *   janus.url, janus.apiSecret, janus.adminKey, janus.peerAddress (bind werift peers here)
 *   await janus.restart(); await janus.stop();
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const JANUS_LIB = '/usr/lib/x86_64-linux-gnu/janus';
const WS_PORT = 8188;

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin'])) {
    const p = path.join(dir, bin);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function ip(...args: string[]): string {
  return execFileSync(which('ip') ?? 'ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why real Janus cannot run here (undefined when it can). */
export function janusUnavailable(): string | undefined {
  if (!which('janus')) return 'janus is not installed (apt-get install janus)';
  if (!existsSync(`${JANUS_LIB}/plugins/libjanus_videoroom.so`)) return `no VideoRoom plugin in ${JANUS_LIB}`;
  if (!which('ip')) return 'the `ip` command (iproute2) is missing';
  if (process.getuid?.() !== 0) return 'creating a network namespace needs root';
  const probe = `sfuprobe${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
  } catch (err) {
    return `cannot create a network namespace (${(err as Error).message.split('\n')[0]})`;
  }
  return undefined;
}

export interface JanusInNetns {
  /** ws://10.99.N.2:8188 */
  url: string;
  apiSecret: string;
  adminKey: string;
  /** Our side of the veth pair: bind werift peers here (iceInterfaceAddresses.udp4). */
  peerAddress: string;
  /** Janus's side. */
  janusAddress: string;
  pid(): number | undefined;
  /** Kills Janus (SIGKILL) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts Janus again with the same config and waits for its API port. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Kills Janus, deletes the namespace (and with it the veth pair) and the config folder. */
  stop(): Promise<void>;
}

function usedSubnets(): Set<number> {
  const used = new Set<number>();
  for (const m of ip('-o', '-4', 'addr').matchAll(/10\.99\.(\d+)\.\d+\//g)) used.add(Number(m[1]));
  return used;
}

function writeConfig(dir: string, o: { janusAddress: string; veth: string; apiSecret: string; adminKey: string }) {
  const allPlugins = [
    'audiobridge',
    'duktape',
    'echotest',
    'lua',
    'nosip',
    'recordplay',
    'sip',
    'streaming',
    'textroom',
    'videocall',
    'voicemail',
  ];
  const allTransports = ['http', 'mqtt', 'nanomsg', 'pfunix', 'rabbitmq'];
  const allEvents = ['gelfevh', 'mqttevh', 'nanomsgevh', 'rabbitmqevh', 'sampleevh', 'wsevh'];
  writeFileSync(
    path.join(dir, 'janus.jcfg'),
    `general: {
  configs_folder = "${dir}"
  plugins_folder = "${JANUS_LIB}/plugins"
  transports_folder = "${JANUS_LIB}/transports"
  events_folder = "${JANUS_LIB}/events"
  loggers_folder = "${JANUS_LIB}/loggers"
  debug_level = 3
  interface = "${o.janusAddress}"
  api_secret = "${o.apiSecret}"
  session_timeout = 60
}
certificates: {}
media: { rtp_port_range = "20000-40000" }
nat: {
  nice_debug = false
  ice_enforce_list = "${o.veth}"
}
plugins: { disable = "${allPlugins.map((p) => `libjanus_${p}.so`).join(',')}" }
transports: { disable = "${allTransports.map((p) => `libjanus_${p}.so`).join(',')}" }
loggers: { disable = "libjanus_jsonlog.so" }
events: {
  broadcast = false
  disable = "${allEvents.map((p) => `libjanus_${p}.so`).join(',')}"
}
`,
  );
  writeFileSync(
    path.join(dir, 'janus.transport.websockets.jcfg'),
    `general: {
  json = "plain"
  ws = true
  ws_port = ${WS_PORT}
  ws_ip = "0.0.0.0"
  wss = false
}
admin: { admin_ws = false, admin_wss = false }
`,
  );
  writeFileSync(
    path.join(dir, 'janus.plugin.videoroom.jcfg'),
    `general: {
  admin_key = "${o.adminKey}"
}
`,
  );
}

function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`Janus did not open ${host}:${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

let started = 0;

/** Creates the namespace, the veth pair and the config folder, and starts Janus in it. */
export async function startJanus(secrets: { apiSecret?: string; adminKey?: string } = {}): Promise<JanusInNetns> {
  const used = usedSubnets();
  let n = 1 + ((process.pid + started) % 250);
  while (used.has(n)) n = (n % 250) + 1;
  const tag = `${process.pid % 10000}${started++ % 10}`;
  const ns = `sfu${tag}`;
  const vethHost = `vs${tag}a`;
  const vethNs = `vs${tag}b`;
  const peerAddress = `10.99.${n}.1`;
  const janusAddress = `10.99.${n}.2`;
  const apiSecret = secrets.apiSecret ?? randomBytes(16).toString('hex');
  const adminKey = secrets.adminKey ?? randomBytes(16).toString('hex');
  const dir = mkdtempSync(path.join(tmpdir(), 'janus-'));
  writeConfig(dir, { janusAddress, veth: vethNs, apiSecret, adminKey });

  try {
    ip('netns', 'del', ns);
  } catch {
    // not there: the usual case
  }
  ip('netns', 'add', ns);
  ip('link', 'add', vethHost, 'type', 'veth', 'peer', 'name', vethNs);
  ip('link', 'set', vethNs, 'netns', ns);
  ip('addr', 'add', `${peerAddress}/30`, 'dev', vethHost);
  ip('link', 'set', vethHost, 'up');
  ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${janusAddress}/30`, 'dev', vethNs);
  ip('netns', 'exec', ns, 'ip', 'link', 'set', vethNs, 'up');
  ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');

  let proc: ChildProcess | undefined;
  let log = '';
  const start = async () => {
    log = '';
    const child = spawn(which('ip') ?? 'ip', ['netns', 'exec', ns, 'janus', '-F', dir, '-o'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc = child;
    const keep = (b: Buffer) => {
      log = (log + b.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`janus exited (${code}) while starting:\n${log}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForPort(janusAddress, WS_PORT, 10_000), exited]);
  };
  const kill = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await gone;
  };
  const cleanup = () => {
    try {
      if (proc?.pid && proc.exitCode === null) process.kill(proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    try {
      ip('netns', 'del', ns);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanup);

  try {
    await start();
  } catch (err) {
    cleanup();
    throw err;
  }

  return {
    url: `ws://${janusAddress}:${WS_PORT}`,
    apiSecret,
    adminKey,
    peerAddress,
    janusAddress,
    pid: () => proc?.pid,
    kill,
    start,
    restart: async () => {
      await kill();
      await start();
    },
    stop: async () => {
      await kill();
      cleanup();
      process.removeListener('exit', cleanup);
    },
  };
}
