/**
 * Several yeyak nodes as real processes (`bin/yeyak.js serve`, each on its own loopback port, all
 * on one PostgreSQL database and one Redis database) and Debian's nginx in front of them, started
 * from deploy/nginx.conf. For the scaling and fault suites:
 *
 *   const redis = await claimRedisDb(redisTestUrl);            // a Redis database of its own
 *   const nodes = await startNodes({ count: 2, databaseUrl, redisUrl: redis.url, env: { … } });
 *   const lb = await startNginx({ upstreams: nodes.urls });    // serves dist/web itself
 *   … fetch(`${lb.url}/api/v1/…`) …; await nodes.kill(0); await nodes.restart(0);
 *   await lb.stop(); await nodes.stop(); await redis.release();
 *
 * Every process is killed by stop() (call it in afterAll); nothing is left behind but the
 * temporary nginx prefix, which stop() deletes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { freePort } from '../../src/core/net.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { deleteKeys } from './redis.ts';
import { machineMonotonicMs } from '../../src/core/clock.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const NGINX_TEMPLATE = join(ROOT, 'deploy/nginx.conf');
export const WEB_ROOT = join(ROOT, 'dist/web');
const NODE_START_TIMEOUT_MS = 120_000; // a first start seeds the store (small seeds: seconds)
const STOP_GRACE_MS = 15_000; // SIGTERM drains; after this SIGKILL
const OUTPUT_MAX_CHARS = 200_000;
const SERVING = /yeyak is serving on http:\/\/localhost:(\d+)/;

export { freePort };

/** Keys shared by the nodes of one cluster (random per call: a key in the repository is a published key). */
export function clusterKeys(): Record<string, string> {
  const key = () => randomBytes(32).toString('base64url');
  return {
    YEYAK_RRN_SECRET: key(),
    YEYAK_SESSION_SECRET: key(),
    YEYAK_QUEUE_KEYS: `k1:${key()}`,
    YEYAK_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
  };
}

/** This process's env without anything that would point a node elsewhere (as test/helpers/cli.ts). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(YEYAK_.*|DATABASE_URL|REDIS_URL|PORT|HOST|NODE_ENV)$/.test(k)));
}

export interface RunningProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far (the start-up lines, logs, a failure's message). */
  output(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function track(child: ChildProcess): RunningProcess {
  let text = '';
  const add = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-OUTPUT_MAX_CHARS);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
    child.once('error', (e) => {
      add(Buffer.from(`spawn error: ${e.message}\n`));
      resolveExit({ code: null, signal: null });
    });
  });
  return { child, output: () => text, exited };
}

/** Waits until `pattern` appears in the process's output; fails when it exits first or times out. */
export async function waitForOutput(p: RunningProcess, pattern: RegExp, timeoutMs = NODE_START_TIMEOUT_MS): Promise<RegExpExecArray> {
  const deadline = machineMonotonicMs() + timeoutMs;
  let gone = false;
  void p.exited.then(() => (gone = true));
  for (;;) {
    const m = pattern.exec(p.output());
    if (m) return m;
    if (gone) throw new Error(`process ${p.child.pid} exited before printing ${pattern}:\n${p.output()}`);
    if (machineMonotonicMs() > deadline) throw new Error(`process ${p.child.pid} did not print ${pattern} within ${timeoutMs} ms:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** SIGTERM (or `signal`), then SIGKILL after the grace; resolves with how it exited. */
export async function stopProcess(p: RunningProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = STOP_GRACE_MS) {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}

export interface StartNodesOptions {
  count: number;
  /** One PostgreSQL database for all nodes (e.g. createTestDatabase().url); empty is fine: they seed it once. */
  databaseUrl: string;
  /** One Redis for all nodes: use claimRedisDb() so the line's keys (`yeyak:q:…`) are yours alone. */
  redisUrl: string;
  /**
   * Extra env for every node, over the defaults: the cluster's keys (clusterKeys()), sandbox
   * identity, YEYAK_TRUST_PROXY=loopback, YEYAK_SEED_CLINICS=20, YEYAK_LOG_LEVEL=warn, HOST=127.0.0.1.
   */
  env?: Record<string, string>;
  /** Extra arguments after `serve` for every node (e.g. ['--scenario', 'korea-2021-08']). */
  args?: string[];
  /** Start the nodes one after another instead of all at once (default false: at once, on a fresh store too). */
  oneByOne?: boolean;
}

export interface YeyakNodes {
  /** `http://127.0.0.1:<port>` of each node, in order. */
  readonly urls: readonly string[];
  readonly ports: readonly number[];
  /** The current process id of each node (a restart changes it). */
  readonly pids: number[];
  /** The env every node runs with (keys included): for another process that must agree with them. */
  readonly env: Readonly<Record<string, string>>;
  readonly adminToken: string;
  /** Node i's output since its last (re)start. */
  output(i: number): string;
  /** Waits until node i prints `pattern` (fails if it exits first, or after 120 s). */
  waitFor(i: number, pattern: RegExp): Promise<RegExpExecArray>;
  /** Sends `signal` (default SIGKILL: a crash) to node i and waits for it to exit. */
  kill(i: number, signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Starts node i again on its port (after kill) and waits until it serves. */
  restart(i: number): Promise<void>;
  /** SIGTERM every node (drains), SIGKILL after 15 s; idempotent. */
  stop(): Promise<void>;
}

/** Starts `count` nodes, each `node bin/yeyak.js serve --port P`, and waits until every one serves. */
export async function startNodes(opts: StartNodesOptions): Promise<YeyakNodes> {
  const ports: number[] = [];
  for (let i = 0; i < opts.count; i++) ports.push(await freePort());
  const env: Record<string, string> = {
    ...clusterKeys(),
    YEYAK_IDENTITY: 'sandbox',
    YEYAK_TRUST_PROXY: 'loopback',
    YEYAK_SEED_CLINICS: '20',
    YEYAK_LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    ...opts.env,
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: opts.redisUrl,
  };
  const procs: (RunningProcess | null)[] = ports.map(() => null);
  const pids: number[] = ports.map(() => 0);
  const spawnNode = async (i: number) => {
    const child = spawn(process.execPath, ['bin/yeyak.js', 'serve', '--port', String(ports[i]), ...(opts.args ?? [])], {
      cwd: ROOT,
      env: { ...cleanEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = track(child);
    procs[i] = p;
    pids[i] = child.pid ?? 0;
    await waitForOutput(p, SERVING);
  };
  const stop = async () => {
    await Promise.all(procs.map((p) => (p ? stopProcess(p) : null)));
  };
  try {
    if (opts.oneByOne) for (let i = 0; i < opts.count; i++) await spawnNode(i);
    else await Promise.all(ports.map((_, i) => spawnNode(i)));
  } catch (e) {
    await stop();
    throw e;
  }
  const at = (i: number): RunningProcess => {
    const p = procs[i];
    if (!p) throw new Error(`no node ${i}`);
    return p;
  };
  return {
    urls: ports.map((p) => `http://127.0.0.1:${p}`),
    ports,
    pids,
    env,
    adminToken: env.YEYAK_ADMIN_TOKEN as string,
    output: (i) => at(i).output(),
    waitFor: (i, pattern) => waitForOutput(at(i), pattern),
    kill: (i, signal = 'SIGKILL') => stopProcess(at(i), signal),
    restart: async (i) => {
      const p = at(i);
      if (p.child.exitCode === null && p.child.signalCode === null) throw new Error(`node ${i} is still running: kill it first`);
      await spawnNode(i);
    },
    stop,
  };
}

export interface ClaimedRedisDb {
  /** The Redis URL with the claimed database number (`redis://…/N`). */
  readonly url: string;
  readonly db: number;
  /** Deletes the yeyak keys written there (SCAN, never FLUSH*) and gives the database back. */
  release(): Promise<void>;
}

const CLAIM_KEY = 'yeyak-test:claimed-by';
const CLAIM_TTL_S = 3_600; // a crashed run's claim lapses within the hour

/**
 * A Redis database (1–15) no other test is using. The nodes' keys are the server's own, unprefixed
 * (`yeyak:q:{campaign}:…`, `yeyak:rl:…`), so nodes that must share one line need a database of
 * their own on the shared server; the claim is a key set with NX in that database.
 */
export async function claimRedisDb(baseUrl: string, label = 'cluster'): Promise<ClaimedRedisDb> {
  const order = Array.from({ length: 15 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
  const me = `${label}:${process.pid}:${randomBytes(4).toString('hex')}`;
  for (const db of order) {
    const redis = new Redis(baseUrl, { db, lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const ok = await redis.set(CLAIM_KEY, me, 'EX', CLAIM_TTL_S, 'NX');
    if (ok !== 'OK') {
      redis.disconnect();
      continue;
    }
    // The claim proves no live test uses this database, so `yeyak:*` keys here are stale: a
    // bench or a killed run left them (a campaign's settings with proof of work on, once). Clear.
    const clear = () => deleteKeys(redis, 'yeyak:');
    await clear();
    const url = new URL(baseUrl);
    url.pathname = `/${db}`;
    return {
      url: url.toString(),
      db,
      release: async () => {
        await clear();
        if ((await redis.get(CLAIM_KEY)) === me) await redis.del(CLAIM_KEY);
        await redis.quit();
      },
    };
  }
  throw new Error(`claimRedisDb: every database 1–15 of ${baseUrl} is claimed by another test`);
}

/** Where nginx is, or null. */
export function nginxBinary(): string | null {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) if (existsSync(candidate)) return candidate;
  const found = spawnSync('bash', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() ? found.stdout.trim() : null;
}

export interface NginxValues {
  /** What `listen` takes: `127.0.0.1:8080`, `80`. */
  listen: string;
  /**
   * The nodes: `127.0.0.1:8081` or `http://127.0.0.1:8081` (each gets `max_fails=1
   * fail_timeout=5s`), or a whole server line's parameters: `127.0.0.1:8081 max_fails=0`.
   */
  upstreams: readonly string[];
  /** The built pages (dist/web), absolute. */
  webRoot: string;
  /** A directory nginx may write: temp files and the access log. */
  stateDir: string;
}

/** deploy/nginx.conf with its @PLACEHOLDERS@ filled in (the file's header says which there are). */
export function renderNginxConf(template: string, v: NginxValues): string {
  const servers = v.upstreams.map((u) => {
    const address = u.trim().replace(/^https?:\/\//, '').replace(/\/(?=\s|$)/, '');
    return `server ${/\s/.test(address) ? address : `${address} max_fails=1 fail_timeout=5s`};`;
  });
  const values: Record<string, string> = {
    LISTEN: v.listen,
    UPSTREAM_SERVERS: servers.join('\n    '),
    WEB_ROOT: v.webRoot.replace(/\/$/, ''),
    STATE_DIR: v.stateDir.replace(/\/$/, ''),
  };
  // Comment lines name the placeholders: left as they are.
  const fill = (line: string) =>
    line.trimStart().startsWith('#')
      ? line
      : line.replace(/@([A-Z_]+)@/g, (whole, name: string) => {
          const value = values[name];
          if (value === undefined) throw new Error(`deploy/nginx.conf: unknown placeholder ${whole}`);
          return value;
        });
  return template.split('\n').map(fill).join('\n');
}

export interface StartNginxOptions {
  /** The nodes to balance (YeyakNodes.urls). */
  upstreams: readonly string[];
  /** The built pages; default dist/web. */
  webRoot?: string;
  /** Port to listen on (loopback); default a free one. */
  port?: number;
}

export interface RunningNginx {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** nginx's prefix directory: nginx.conf, access.log, logs/error.log, temp files. */
  readonly prefix: string;
  /** The error log so far (and anything nginx printed). */
  output(): string;
  /** The access log so far. */
  accessLog(): string;
  /** SIGTERM and wait; deletes the prefix. Idempotent. */
  stop(): Promise<void>;
}

/**
 * nginx in the foreground as this user (`nginx -p <tmp> -c <tmp>/nginx.conf -g 'daemon off; …'`)
 * on a loopback port, from deploy/nginx.conf. Throws when nginx is not installed (see nginxBinary).
 */
export async function startNginx(opts: StartNginxOptions): Promise<RunningNginx> {
  const binary = nginxBinary();
  if (!binary) throw new Error('nginx is not installed (Debian: apt-get install nginx-light)');
  const prefix = mkdtempSync(join(tmpdir(), 'yeyak-nginx-'));
  mkdirSync(join(prefix, 'logs'));
  const port = opts.port ?? (await freePort());
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, renderNginxConf(readFileSync(NGINX_TEMPLATE, 'utf8'), { listen: `127.0.0.1:${port}`, upstreams: opts.upstreams, webRoot: opts.webRoot ?? WEB_ROOT, stateDir: prefix }));
  const errorLog = join(prefix, 'logs/error.log');
  const globals = `daemon off; pid ${join(prefix, 'nginx.pid')}; error_log ${errorLog} warn;`;
  const p = track(spawn(binary, ['-p', prefix, '-c', conf, '-g', globals], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const readLog = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  const output = () => `${p.output()}${readLog(errorLog)}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopProcess(p);
    rmSync(prefix, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, p, output);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `http://127.0.0.1:${port}`, port, prefix, output, accessLog: () => readLog(join(prefix, 'access.log')), stop };
}

async function waitForPort(port: number, p: RunningProcess, output: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = machineMonotonicMs() + timeoutMs;
  let gone = false;
  void p.exited.then(() => (gone = true));
  while (!(await connects(port))) {
    if (gone) throw new Error(`nginx exited at start:\n${output()}`);
    if (machineMonotonicMs() > deadline) throw new Error(`nginx did not listen on ${port} within ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once('error', () => resolveConnect(false));
  });
}
