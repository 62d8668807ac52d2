import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
// The lock file records when this process took it: the machine's time, not a rehearsal's.
import { systemClock } from './clock.ts';

/**
 * One process per embedded store. PGlite has no lock of its own: two processes on one data
 * directory each run their own PostgreSQL over the same files (and a `yeyak staff add` next to a
 * running server writes a row the server's in-memory copy never sees). `<dataDir>/yeyak.lock`
 * holds the owner's pid; it is created exclusively (write a temporary file, then link(2), which
 * fails when the lock exists). A lock whose pid is dead on this host is stale and taken over.
 */
export const LOCK_FILE = 'yeyak.lock';

export interface LockHolder {
  pid: number;
  hostname: string;
  command: string;
  startedAt: string;
  /** Where a server holding the lock listens (set once it does), for `staff add --server`. */
  url?: string;
}

export interface DataDirLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Records where the server listens (rewrites this process's own lock file). */
  setUrl(url: string): void;
  release(): void;
}

export class DataDirBusyError extends Error {
  override name = 'DataDirBusyError';
  constructor(
    readonly file: string,
    readonly holder: LockHolder | null,
  ) {
    super(busyMessage(file, holder));
  }
}

function busyMessage(file: string, h: LockHolder | null): string {
  const who = h ? `yeyak ${h.command} (pid ${h.pid} on ${h.hostname}, since ${h.startedAt})` : 'another process';
  return (
    `the embedded store is in use by ${who}: ${file}. Two processes must not open one embedded store. ` +
    `Stop that process first, or use another YEYAK_DATA_DIR. If no yeyak runs there any more, delete ${file}.`
  );
}

export interface LockOptions {
  /** Is `pid` a live process on this host? (tests); default: signal 0. */
  isAlive?: (pid: number) => boolean;
}

// Locks this process holds, so a second open in the same process is refused too.
const held = new Map<string, LockHolder>();

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Takes the lock of `dataDir` for `command`, or throws DataDirBusyError naming the holder. */
export function lockDataDir(dataDir: string, command: string, opts: LockOptions = {}): DataDirLock {
  const dir = resolve(dataDir);
  const file = join(dir, LOCK_FILE);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const isAlive = opts.isAlive ?? isProcessAlive;
  const holder: LockHolder = { pid: process.pid, hostname: hostname(), command, startedAt: systemClock.now().toISOString() };
  const mine = held.get(file);
  if (mine) throw new DataDirBusyError(file, mine);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusive(file, holder)) return ownLock(file, holder);
    const current = readHolder(file);
    if (current === null || !isStale(current, isAlive)) throw new DataDirBusyError(file, current);
    takeOver(file, current, isAlive);
  }
  throw new DataDirBusyError(file, readHolder(file));
}

/** Stale: the holder's pid is dead on this host, or it is our own pid (a previous life: a container restart). */
function isStale(h: LockHolder | null, isAlive: (pid: number) => boolean): boolean {
  if (h === null || h.hostname !== hostname()) return false; // unreadable, or another host: cannot tell
  return h.pid === process.pid || !isAlive(h.pid);
}

/**
 * Removes a stale lock. Only one process at a time may do so (a second exclusive file), and only
 * after re-reading that the lock is still the stale one: two processes taking over at once must
 * never remove each other's fresh lock.
 */
function takeOver(file: string, stale: LockHolder, isAlive: (pid: number) => boolean): void {
  const guard = `${file}.takeover`;
  const me: LockHolder = { ...stale, pid: process.pid, hostname: hostname(), command: 'take-over', startedAt: systemClock.now().toISOString() };
  if (!createExclusive(guard, me)) {
    const other = readHolder(guard);
    if (isStale(other, isAlive)) unlinkQuiet(guard); // a take-over that died half-way
    return; // someone else is taking over; the caller retries
  }
  try {
    const again = readHolder(file);
    if (again && again.pid === stale.pid && again.startedAt === stale.startedAt) unlinkQuiet(file);
  } finally {
    unlinkQuiet(guard);
  }
}

function ownLock(file: string, holder: LockHolder): DataDirLock {
  held.set(file, holder);
  let current = holder;
  const release = () => {
    if (!held.delete(file)) return;
    process.removeListener('exit', release);
    const onDisk = readHolder(file);
    if (onDisk && onDisk.pid === current.pid && onDisk.startedAt === current.startedAt) unlinkQuiet(file);
  };
  process.once('exit', release);
  return {
    file,
    get holder() {
      return current;
    },
    setUrl: (url: string) => {
      if (!held.has(file)) return;
      current = { ...current, url };
      held.set(file, current);
      writeReplace(file, current);
    },
    release,
  };
}

/** Creates `file` with `holder` if it does not exist; false if it does. Atomic: write, then link. */
function createExclusive(file: string, holder: LockHolder): boolean {
  const tmp = writeTemp(file, holder);
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkQuiet(tmp);
  }
}

/** Replaces our own lock's content atomically (rename over it). */
function writeReplace(file: string, holder: LockHolder): void {
  renameSync(writeTemp(file, holder), file);
}

function writeTemp(file: string, holder: LockHolder): string {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(holder)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

export function readHolder(file: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (!Number.isInteger(h.pid) || typeof h.hostname !== 'string' || typeof h.startedAt !== 'string') return null;
    return { pid: h.pid as number, hostname: h.hostname, command: String(h.command ?? '?'), startedAt: h.startedAt, ...(typeof h.url === 'string' ? { url: h.url } : {}) };
  } catch {
    return null;
  }
}

function unlinkQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
