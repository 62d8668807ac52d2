/**
 * One process per embedded store (issue #7): the data directory's lock file, stale locks, and
 * `yeyak staff add` next to a running server saying exactly how to go through it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirBusyError, LOCK_FILE, lockDataDir, readHolder } from '../../src/core/data-dir-lock.ts';
import { loadConfig } from '../../src/core/config.ts';
import { openStore } from '../../src/server.ts';
import { runCli } from '../helpers/cli.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'yeyak-lock-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function writeLock(dir: string, pid: number, host = hostname(), url?: string): void {
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, hostname: host, command: 'serve', startedAt: '2026-11-26T03:00:00.000Z', ...(url ? { url } : {}) }));
}

/** A pid that was alive a moment ago and is not any more. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid as number;
}

describe('lockDataDir', () => {
  it('takes the lock with this pid, and a second taker is refused naming the holder', () => {
    const dir = tempDir();
    const lock = lockDataDir(dir, 'serve');
    expect(readHolder(join(dir, LOCK_FILE))).toMatchObject({ pid: process.pid, command: 'serve' });
    let error: unknown;
    try {
      lockDataDir(dir, 'staff add');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataDirBusyError);
    expect((error as Error).message).toContain(`yeyak serve (pid ${process.pid} on ${hostname()}`);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lockDataDir(dir, 'staff add').release();
  });

  it('a lock held by another live process is refused, with how to clear it if that process is gone', () => {
    const dir = tempDir();
    writeLock(dir, process.ppid); // our parent: alive
    expect(() => lockDataDir(dir, 'seed')).toThrow(new RegExp(`pid ${process.ppid}.*delete ${join(dir, LOCK_FILE).replace(/[.\\/]/g, '\\$&')}`));
    expect(readHolder(join(dir, LOCK_FILE))?.pid).toBe(process.ppid);
  });

  it('a stale lock (its pid is dead) is taken over', () => {
    const dir = tempDir();
    writeLock(dir, deadPid());
    const lock = lockDataDir(dir, 'serve');
    expect(readHolder(join(dir, LOCK_FILE))?.pid).toBe(process.pid);
    lock.release();
  });

  it('a lock from another host is never assumed stale', () => {
    const dir = tempDir();
    writeLock(dir, deadPid(), 'some-other-host');
    expect(() => lockDataDir(dir, 'serve')).toThrow(DataDirBusyError);
  });

  it('release never removes a lock that is not its own', () => {
    const dir = tempDir();
    const lock = lockDataDir(dir, 'serve');
    writeLock(dir, process.ppid); // replaced behind our back (by hand)
    lock.release();
    expect(readHolder(join(dir, LOCK_FILE))?.pid).toBe(process.ppid);
  });

  it('records where the server listens', () => {
    const dir = tempDir();
    const lock = lockDataDir(dir, 'serve');
    lock.setUrl('http://127.0.0.1:8080');
    expect(readHolder(join(dir, LOCK_FILE))).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:8080' });
    lock.release();
  });
});

describe('openStore on an embedded directory', () => {
  it('a second open of the same directory is refused until the first closes', async () => {
    const dir = tempDir();
    const config = loadConfig({ dataDir: dir }, {});
    const first = await openStore(config, () => undefined);
    await expect(openStore(config, () => undefined, 'staff add')).rejects.toThrow(DataDirBusyError);
    await first.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lockDataDir(dir, 'migrate').release();
  }, 60_000);
});

describe('yeyak staff add next to a running server', () => {
  it('refuses to open the store, naming the server, and prints the exact command through its admin API', async () => {
    const dir = tempDir();
    const lock = lockDataDir(dir, 'serve');
    lock.setUrl('http://127.0.0.1:18080');
    try {
      const r = await runCli(['staff', 'add', '--data-dir', dir, '--role', 'clinic', '--clinic', 'C-0001', '--name', "Kim's desk"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`in use by yeyak serve (pid ${process.pid}`);
      expect(r.stderr).toContain(
        `YEYAK_ADMIN_TOKEN=<operator token> npx yeyak staff add --server http://127.0.0.1:18080 --role clinic --clinic C-0001 --name 'Kim'\\''s desk'`,
      );
      expect(r.stdout).not.toContain('token (shown once');
      // Nothing was written next to the server: the lock is still the server's.
      expect(readHolder(join(dir, LOCK_FILE))?.pid).toBe(process.pid);
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toContain('18080');
    } finally {
      lock.release();
    }
  }, 60_000);
});
