/**
 * Redis for tests. The shared server (REDIS_URL_TEST) is used by other suites at the same time:
 * every test works under a unique key prefix and deletes only its own keys — never FLUSHALL.
 * Suites that must crash Redis start a private `redis-server` on a free port instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { freePort } from '../../src/core/net.ts';
import { Redis } from 'ioredis';
import { machineMonotonicMs } from '../../src/core/clock.ts';

export const redisTestUrl = process.env.REDIS_URL_TEST;

/** A prefix no other test uses: `yeyak-test:<label>:<random>:q:`. */
export function uniquePrefix(label: string): string {
  return `yeyak-test:${label}:${randomBytes(6).toString('hex')}:q:`;
}

/** Deletes the keys under `prefix` (SCAN, never FLUSH*). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) n += await redis.del(...keys);
  } while (cursor !== '0');
  return n;
}


/** One PING over a raw socket: true on +PONG. */
function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

/** Polls PING until the server answers, at most `timeoutMs`. */
export async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = machineMonotonicMs() + timeoutMs;
  while (machineMonotonicMs() < deadline) {
    if (await pingOnce(port)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL (a crash: no save, no goodbye) and wait for the exit. */
  kill(): Promise<void>;
  /** Starts the server again on the same port, empty, and waits for PING. */
  start(): Promise<void>;
  /** kill() then start(). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A private redis-server on a free port: memory-only (`--save "" --appendonly no`) unless
 * `persistence` gives other arguments (test/helpers/faults.ts: an append-only file).
 */
export async function startRedisServer(persistence: string[] = ['--save', '', '--appendonly', 'no']): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const start = async () => {
    if (child) throw new Error('redis-server already running');
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistence], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    c.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    c.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    const spawnFailed = new Promise<never>((_, reject) => c.once('error', (e) => reject(new Error(`cannot start redis-server: ${e.message}`))));
    void exited.then(() => {
      if (child === c) child = null;
    });
    try {
      await Promise.race([waitForPing(port), spawnFailed]);
    } catch (e) {
      c.kill('SIGKILL');
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${output}`, { cause: e });
    }
  };
  const kill = async () => {
    const c = child;
    if (!c) return;
    c.kill('SIGKILL');
    await exited;
    child = null;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    restart: async () => {
      await kill();
      await start();
    },
    stop: kill,
  };
}
