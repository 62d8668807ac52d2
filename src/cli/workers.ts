/**
 * `yeyak serve --workers N`: N processes (node:cluster) serve one port, the primary handing each
 * new connection to the next worker in turn (cluster's round-robin). The primary does the work a
 * node does once — keys, store (migrated, seeded, rolled forward), port check, pages — then forks.
 * A worker that dies is started again after a pause that doubles while workers keep dying young
 * (1 s … 30 s); SIGTERM or SIGINT drains every worker (each drains as a lone node does) and exits.
 *
 * More than one worker needs a store they all share: PostgreSQL (an embedded PGlite directory is
 * one process's) and Redis (an in-process waiting room would split the line in N), and the keys
 * set (a key one worker made up would not verify on the others). The same holds for separate
 * processes on their own ports over one PostgreSQL and Redis, which need no primary at all.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../core/config.ts';
import { machineMonotonicMs, systemClock } from '../core/clock.ts';
import { prepareToServe, serve, StartError, type ServeOptions } from '../server.ts';

export const WORKERS_MAX = 64;
const RESTART_DELAY_MIN_MS = 1_000;
const RESTART_DELAY_MAX_MS = 30_000;
/** A worker that served this long before dying died of something new: its pause starts again at 1 s. */
const WORKER_STABLE_MS = 60_000;
/** After the workers' own drain time (shutdownGraceMs): what is left is killed. */
const DRAIN_MARGIN_MS = 5_000;

/** The primary tells each worker, in its environment, when the cluster's clock read YEYAK_NOW. */
const CLOCK_ANCHOR_ENV = 'YEYAK_CLUSTER_CLOCK_ANCHOR_MS';

type WorkerMessage = { type: 'yeyak-log'; line: string } | { type: 'yeyak-serving'; port: number; waitingRoom: string };

/** Why `workers` workers cannot serve `config`, with the fix; null when they can. */
export function workersProblem(config: Config, workers: number): string | null {
  if (!Number.isInteger(workers) || workers < 1 || workers > WORKERS_MAX) return `--workers must be 1–${WORKERS_MAX}, got ${workers}`;
  if (workers === 1) return null;
  const missing = [config.databaseUrl === null ? 'DATABASE_URL (PostgreSQL: an embedded PGlite directory is one process’s)' : null, config.redisUrl === null ? 'REDIS_URL (Redis: an in-process waiting room would give each worker its own line)' : null].filter(Boolean);
  if (missing.length > 0) {
    return `--workers ${workers} needs a store every worker shares: set ${missing.join(' and ')}; or serve from one process: npx yeyak serve (without --workers)`;
  }
  return null;
}

/** `serve --workers N` in the primary, and what a forked worker runs. N = 1 is a plain serve. */
export async function serveWorkers(config: Config, workers: number, opts: ServeOptions = {}): Promise<void> {
  if (cluster.isWorker) return serveAsWorker(config, opts);
  const problem = workersProblem(config, workers);
  if (problem) throw new StartError(problem);
  if (workers === 1) {
    await serve(config, opts);
    return;
  }
  const log = opts.log ?? console.log;
  // The workers' start-up lines are the primary's and each other's: each is said once.
  const said = new Set<string>();
  const sayOnce = (line: string) => {
    if (said.has(line)) return;
    said.add(line);
    log(line);
  };
  const prepared = await prepareToServe(config, { ...opts, log: sayOnce }); // refuses keys that are not set, a busy port
  // With YEYAK_NOW the clock starts now, after seeding, for every worker at once.
  const clockAnchorMs = systemClock.nowMs();
  const env: Record<string, string> = { [CLOCK_ANCHOR_ENV]: String(clockAnchorMs) };
  // One operator token for all: each worker would otherwise make up its own.
  if (prepared.config.adminTokenGenerated) env.YEYAK_ADMIN_TOKEN = prepared.config.adminToken;
  const primary = new Primary(workers, env, prepared.config.shutdownGraceMs, log, sayOnce);
  const first = await primary.start();
  log(
    `yeyak is serving on http://localhost:${first.port} with ${workers} workers (cluster primary pid ${process.pid}; store: ${prepared.store}, ` +
      `waiting room: ${first.waitingRoom}${config.now ? `, clock started at ${config.now}` : ''})`,
  );
  if (prepared.config.adminTokenGenerated) log(`Admin token for /api/v1/admin (set YEYAK_ADMIN_TOKEN to choose one): ${prepared.config.adminToken}`);
}

/** A forked worker: serves as a node does, its start-up lines sent to the primary (which says them once). */
async function serveAsWorker(config: Config, opts: ServeOptions): Promise<void> {
  const send = (m: WorkerMessage) => process.send?.(m);
  const log = (line: string) => {
    if (!line.startsWith('yeyak is serving on')) send({ type: 'yeyak-log', line });
  };
  const anchor = Number(process.env[CLOCK_ANCHOR_ENV]);
  const app = await serve(config, { ...opts, log, worker: { clockAnchorMs: anchor } });
  const address = app.server.address();
  send({ type: 'yeyak-serving', port: typeof address === 'object' && address ? address.port : config.port, waitingRoom: app.yeyak.waitingRoom.store.kind });
}

interface Slot {
  worker: Worker | null;
  startedAtMs: number;
  /** Deaths in a row of workers that did not live WORKER_STABLE_MS. */
  youngDeaths: number;
  restartTimer: NodeJS.Timeout | null;
}

/** The primary's bookkeeping: one slot per worker number, each holding its current process. */
class Primary {
  private readonly slots: Slot[];
  private draining = false;
  private starting = true;

  constructor(
    private readonly count: number,
    private readonly env: Record<string, string>,
    private readonly graceMs: number,
    private readonly log: (line: string) => void,
    private readonly sayOnce: (line: string) => void,
  ) {
    this.slots = Array.from({ length: count }, () => ({ worker: null, startedAtMs: 0, youngDeaths: 0, restartTimer: null }));
  }

  /** Forks every worker and resolves when all serve; a worker that stops first fails the start. */
  async start(): Promise<{ port: number; waitingRoom: string }> {
    process.once('SIGTERM', () => void this.drain('SIGTERM'));
    process.once('SIGINT', () => void this.drain('SIGINT'));
    try {
      const serving = await Promise.all(this.slots.map((_, i) => this.fork(i)));
      this.starting = false;
      return serving[0] as { port: number; waitingRoom: string };
    } catch (e) {
      this.draining = true;
      for (const s of this.slots) s.worker?.process.kill('SIGTERM');
      throw e;
    }
  }

  private fork(i: number): Promise<{ port: number; waitingRoom: string }> {
    const slot = this.slots[i] as Slot;
    const worker = cluster.fork(this.env);
    slot.worker = worker;
    slot.startedAtMs = machineMonotonicMs();
    return new Promise((resolve, reject) => {
      let served = false;
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'yeyak-log') this.sayOnce(m.line);
        if (m.type === 'yeyak-serving' && !served) {
          served = true;
          if (!this.starting) this.log(`worker ${i + 1} is serving again (pid ${worker.process.pid})`);
          resolve({ port: m.port, waitingRoom: m.waitingRoom });
        }
      });
      worker.once('exit', (code, signal) => {
        if (slot.worker === worker) slot.worker = null;
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        if (!served && this.starting) {
          reject(new StartError(`worker ${i + 1} (pid ${worker.process.pid}) stopped before serving (${how}); its message is above`));
          return;
        }
        if (!served) resolve({ port: 0, waitingRoom: '' }); // a restart that failed: scheduled again below
        if (!this.draining) this.restartLater(i, how);
      });
    });
  }

  /** Starts worker i again after a pause: 1 s, doubled for each young death in a row, at most 30 s. */
  private restartLater(i: number, how: string): void {
    const slot = this.slots[i] as Slot;
    const lived = machineMonotonicMs() - slot.startedAtMs;
    slot.youngDeaths = lived >= WORKER_STABLE_MS ? 0 : slot.youngDeaths + 1;
    const delayMs = Math.min(RESTART_DELAY_MAX_MS, RESTART_DELAY_MIN_MS * 2 ** Math.max(0, slot.youngDeaths - 1));
    this.log(`worker ${i + 1} stopped (${how}) after ${Math.round(lived / 1000)} s; starting it again in ${delayMs / 1000} s`);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (!this.draining) void this.fork(i);
    }, delayMs);
  }

  /** SIGTERM to every worker (each drains), then exit: 0 when every one drained cleanly. */
  private async drain(signal: string): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    const live = this.slots.map((s) => s.worker).filter((w): w is Worker => w !== null && !w.isDead());
    this.log(`${signal}: draining ${live.length} workers`);
    for (const s of this.slots) if (s.restartTimer) clearTimeout(s.restartTimer);
    const force = setTimeout(() => {
      for (const w of live) if (!w.isDead()) w.process.kill('SIGKILL');
    }, this.graceMs + DRAIN_MARGIN_MS);
    const codes = await Promise.all(
      live.map(
        (w) =>
          new Promise<number | null>((resolve) => {
            if (w.isDead()) resolve(w.process.exitCode);
            else w.once('exit', (code) => resolve(code));
            w.process.kill('SIGTERM');
          }),
      ),
    );
    clearTimeout(force);
    process.exit(codes.every((c) => c === 0) ? 0 : 1);
  }
}
