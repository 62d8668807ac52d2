/**
 * The rehearsal's own server, when no --target is given: `yeyak serve` in a child process on a
 * free loopback port — korea-2021-08 in memory, its clock started just before 9 Aug 2021 20:00
 * (Asia/Seoul), the sandbox identity, X-Forwarded-For believed from loopback (each simulated
 * citizen has its own address), and an operator token of its own to open the line wide.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { machineMonotonicMs } from '../core/clock.ts';
import { freePort } from '../core/net.ts';

export interface EmbeddedServer {
  url: string;
  pid: number;
  adminToken: string;
  /** Seconds from spawn to the first healthy answer (seeding included). */
  startSeconds: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Clinics seeded (fewer than the scenario's 13,000 seed faster; capacity is split over them). */
  clinics: number;
  /** The server's clock starts here (YEYAK_NOW): seconds before the 20:00 opening. */
  secondsBeforeOpening: number;
  log?: (line: string) => void;
}

export const EMBEDDED_DEFAULTS: EmbeddedOptions = { clinics: 2000, secondsBeforeOpening: 5 };


const BIN = join(import.meta.dirname, '../../bin/yeyak.js');
const READY_TIMEOUT_MS = 10 * 60_000;

export async function startEmbeddedServer(opts: EmbeddedOptions = EMBEDDED_DEFAULTS): Promise<EmbeddedServer> {
  const port = await freePort();
  const adminToken = randomBytes(24).toString('base64url');
  const opening = Date.parse('2021-08-09T20:00:00+09:00');
  const now = new Date(opening - opts.secondsBeforeOpening * 1000).toISOString().replace('Z', '+00:00');
  const started = machineMonotonicMs();
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--scenario', 'korea-2021-08', '--clinics', String(opts.clinics), '--port', String(port)], {
    env: {
      ...process.env,
      DATABASE_URL: '',
      REDIS_URL: '',
      HOST: '127.0.0.1',
      YEYAK_DATA_DIR: 'memory:',
      YEYAK_NOW: now,
      YEYAK_IDENTITY: 'sandbox',
      YEYAK_TRUST_PROXY: 'loopback',
      YEYAK_ADMIN_TOKEN: adminToken,
      YEYAK_LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C at the terminal reaches the rehearsal, which still needs the
    // server to read its bookings back, and stops it after.
    detached: true,
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      output.push(line);
      if (output.length > 40) output.shift();
      opts.log?.(line);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (gone) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    process.off('exit', killOnExit);
  };
  for (;;) {
    if (gone) throw new Error(`the embedded server exited before it served:\n${output.join('\n')}`);
    if (machineMonotonicMs() - started > READY_TIMEOUT_MS) {
      await stop();
      throw new Error(`the embedded server did not answer /healthz within ${READY_TIMEOUT_MS / 1000} s:\n${output.join('\n')}`);
    }
    const healthy = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (healthy) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, pid: child.pid as number, adminToken, startSeconds: (machineMonotonicMs() - started) / 1000, stop };
}
