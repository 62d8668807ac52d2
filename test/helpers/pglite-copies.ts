/**
 * Embedded test stores start from a copy of a data directory made once, not from an empty one:
 * PGlite's initdb (~2 s of CPU per store), the migrations and the scenario's seeding run once per
 * kind of store instead of once per test app. A copy is the database itself — every table, row,
 * index, sequence and function, as the same code made it — only `campaign.created_at` (the
 * database's own now(), read by nothing) holds when the copy was made.
 *
 * Copies are kept in this process and on disk (node_modules/.cache/yeyak-test-pglite/), where the
 * test processes of a run and later runs share them. The key hashes all that makes a copy: the
 * PGlite version, every file of src/ and migrations/, and the seed options — a changed migration,
 * seeding code or option makes a new copy, never a stale one. The migrator still runs on every
 * store (test/helpers/app.ts): on a current copy it applies nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { openPglite, type PgliteDb } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { seedScenario, type SeedOptions } from '../../src/scenarios/seed.ts';
import type { FakeClock } from '../../src/core/clock.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'yeyak-test-pglite');
/** Copies of other code versions kept on disk (a developer switching back and forth). */
const CODE_VERSIONS_KEPT = 3;

/** What a seeded copy is made from: the scenario options of createTestApp, at the clock's time. */
export interface CopySeed {
  scenario: SeedOptions['scenario'];
  clinics?: number;
  seed: number;
  clock: FakeClock;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

let codeHashMemo: string | null = null;
/** sha256 of the PGlite version and of every file (path and content) under src/ and migrations/. */
function codeHash(): string {
  if (codeHashMemo) return codeHashMemo;
  const h = createHash('sha256');
  h.update(readFileSync(join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json')));
  for (const file of [...filesUnder(join(ROOT, 'src')), ...filesUnder(join(ROOT, 'migrations'))]) {
    h.update(`\0${file.slice(ROOT.length)}\0`).update(readFileSync(file));
  }
  codeHashMemo = h.digest('hex').slice(0, 24);
  return codeHashMemo;
}

/** How far a copy goes: initdb only, migrated, or migrated and seeded. */
type Stage = 'empty' | 'migrated' | CopySeed;

function copyName(stage: Stage): string {
  if (typeof stage === 'string') return stage;
  const key = JSON.stringify([stage.scenario, stage.clinics ?? null, stage.seed, stage.clock.now().toISOString()]);
  return `seeded-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

function readFromDisk(path: string): Blob | null {
  let packed: Buffer;
  try {
    packed = readFileSync(path);
  } catch {
    return null; // not made yet, or pruned by another run: make it
  }
  return new Blob([gunzipSync(packed)]);
}

function writeToDisk(dir: string, path: string, tarball: Uint8Array): void {
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  // Level 1: a copy is mostly zeros (a 16 MB WAL segment, empty pages): ~60 MB → ~8 MB in ~0.2 s.
  writeFileSync(tmp, gzipSync(tarball, { level: 1 }));
  renameSync(tmp, path); // atomic: a reader sees no copy or a whole one
  pruneOtherVersions(dir);
}

function pruneOtherVersions(current: string): void {
  const others = readdirSync(CACHE_DIR)
    .map((name) => join(CACHE_DIR, name))
    .filter((p) => p !== current)
    .map((p) => ({ p, mtimeMs: statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { p } of others.slice(CODE_VERSIONS_KEPT)) rmSync(p, { recursive: true, force: true });
}

/** Makes a store the long way, each stage from the copy of the one before, and copies it. */
async function make(stage: Stage): Promise<{ db: PgliteDb; copy: Blob }> {
  const db = stage === 'empty' ? await openPglite('memory:') : await openPglite('memory:', { loadDataDir: await copyOf(stage === 'migrated' ? 'empty' : 'migrated') });
  try {
    if (stage !== 'empty') await migrate(db);
    if (typeof stage === 'object') await seedScenario(db, { scenario: stage.scenario, clock: stage.clock, seed: stage.seed, ...(stage.clinics ? { clinics: stage.clinics } : {}) });
    await db.query('CHECKPOINT'); // all in the data files: a copy starts without replaying WAL
    return { db, copy: await db.dumpDataDir() };
  } catch (e) {
    await db.close();
    throw e;
  }
}

/** The copies this process has, by path on disk: read or made once per process. */
const inProcess = new Map<string, Promise<Blob>>();

/**
 * The copy of `stage`, and, when this call had to make it, the store it was made on (a store
 * like any other: handed to the caller instead of being thrown away).
 */
async function copyOrStore(stage: Stage): Promise<{ copy: Blob; made?: PgliteDb }> {
  const dir = join(CACHE_DIR, codeHash());
  const path = join(dir, `${copyName(stage)}.gz`);
  const known = inProcess.get(path);
  if (known) return { copy: await known };
  const onDisk = readFromDisk(path);
  if (onDisk) {
    inProcess.set(path, Promise.resolve(onDisk));
    return { copy: onDisk };
  }
  const making = make(stage);
  const copy = making.then((m) => m.copy);
  copy.catch(() => undefined); // the failure reaches this caller through `making`, and any other through `copy`
  inProcess.set(path, copy);
  let made: Awaited<typeof making>;
  try {
    made = await making;
  } catch (e) {
    inProcess.delete(path);
    throw e;
  }
  try {
    writeToDisk(dir, path, new Uint8Array(await made.copy.arrayBuffer()));
  } catch (e) {
    await made.db.close();
    throw e;
  }
  return { copy: made.copy, made: made.db };
}

async function copyOf(stage: Stage): Promise<Blob> {
  const { copy, made } = await copyOrStore(stage);
  await made?.close();
  return copy;
}

async function openCopy(stage: Stage): Promise<PgliteDb> {
  const { copy, made } = await copyOrStore(stage);
  return made ?? openPglite('memory:', { loadDataDir: copy });
}

/** A new in-memory store, migrated and (unless `seed` is null) seeded, started from a copy. */
export function openPgliteCopy(seed: CopySeed | null): Promise<PgliteDb> {
  return openCopy(seed ?? 'migrated');
}

/**
 * What `openPglite('memory:')` opens — a new, empty database, nothing migrated — without running
 * initdb: from a copy of the data directory initdb makes.
 */
export function openEmptyPglite(): Promise<PgliteDb> {
  return openCopy('empty');
}
