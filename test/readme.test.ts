/**
 * Every shell example in README.md runs here, so the README cannot drift from the code (issue #7).
 *
 * Each ```sh block is preceded by a marker, an HTML comment the rendered README does not show:
 *   <!-- readme-test: ID serves [needs=postgres] -->   the block starts a server (its last command
 *                                                      serves): run in the background until it
 *                                                      prints "yeyak is serving on …"
 *   <!-- readme-test: ID after=SERVER -->              run with bash (set -euo pipefail) once server
 *                                                      SERVER serves; `npm-start` is `npm start`
 *   <!-- readme-test: ID skip: REASON -->              not run (the reason is required)
 * A block without a marker, or an ID without an entry in EXPECTED below (or the reverse), fails.
 *
 * Every server gets a free port (PORT, and http://localhost:8080 in blocks is pointed at it), an
 * in-memory store unless the block says otherwise, small seeds (YEYAK_SEED_CLINICS) and none of
 * this process's DATABASE_URL/REDIS_URL/YEYAK_* settings. A `needs=postgres` block gets a fresh
 * database made by test/helpers/pg.ts in place of the README's postgres://…/yeyak, and is skipped
 * when DATABASE_URL is unset. curl and jq are needed: missing, the suite is skipped locally and
 * fails in CI (CI set).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../src/core/net.ts';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/pg.ts';

const ROOT = resolve(import.meta.dirname, '..');
const README_PORT_URL = 'http://localhost:8080';
const README_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/yeyak';
const SEED_CLINICS = '40';
const SERVE_TIMEOUT_MS = 240_000;
const BLOCK_TIMEOUT_MS = 180_000;
const OUTPUT_MAX_CHARS = 200_000;

/** What each block must print (besides exiting 0); for a server, what its start-up log says. */
const EXPECTED: Record<string, { stdout: RegExp[]; check?: (s: RunningServer) => Promise<void> }> = {
  start: { stdout: [] },
  postgres: {
    stdout: [/"campaignId": "korea-2021-08"/, /holds: korea-2021-08/, /clock started at 2021-08-09T19:59:30\+09:00/],
    check: async (s) => {
      const list = (await (await fetch(`http://127.0.0.1:${s.port}/api/v1/campaigns`)).json()) as { id: string; now: string }[];
      expect(list.map((c) => c.id)).toEqual(['korea-2021-08']);
      expect(list[0]?.now).toMatch(/^2021-08-09T/);
    },
  },
  rehearsal: { stdout: [/Seeded korea-2021-08/, /holds: korea-2021-08/, /clock started at 2021-08-09T19:59:30\+09:00/] },
  'rehearsal-clock': { stdout: [/"id": "korea-2021-08"/, /"now": "2021-08-09T/] },
  rehearse: { stdout: [/1000 citizens in .* booked/, /ok +every 201 booking reads back/, /ok +no bot succeeded/, /ok +no FIFO inversion/] },
  'rehearse-large': { stdout: [] },
  'demo-booking': { stdout: [/"id":"demo"|"id": "demo"/, /"eligible":true/, /"bookingNumber": "[^"]+"/, /"dose": 2/] },
  'many-nodes': { stdout: [] },
  'supply-server': { stdout: [] },
  reschedule: { stdout: [/"dryRun":true,"total":\d+,"moved":\d+,"unfit":\d+/, /"id":\d+,"state":"queued"/] },
  supply: { stdout: [/"requested":10,"allocated":10,"booked":0,"cut":[1-9]/, /"imported":1,"uncoveredTotal":0/, /"supplyState":"available"/] },
  'waiting-room': { stdout: [/"state":"admitted"/, /"bookingNumber": "[^"]+"/, /"clinicId": "C000001"/, /"dose": 2/] },
};

interface Marker {
  id: string;
  serves: boolean;
  after: string | null;
  needsPostgres: boolean;
  skip: string | null;
}

interface Block {
  marker: Marker;
  code: string;
  line: number;
}

interface RunningServer {
  port: number;
  child: ChildProcess;
  output: () => string;
}

function parseMarker(comment: string, line: number): Marker {
  const m = /^<!--\s*readme-test:\s*(\S+)\s*(.*?)\s*-->$/.exec(comment.trim());
  if (!m) throw new Error(`README.md:${line}: a sh block needs a <!-- readme-test: ID … --> marker right before it`);
  const [, id, rest] = m as unknown as [string, string, string];
  const skip = /^skip:\s*(\S.*)$/.exec(rest);
  const words = skip ? [] : rest.split(/\s+/).filter(Boolean);
  const after = words.find((w) => w.startsWith('after='))?.slice('after='.length) ?? null;
  const unknown = words.filter((w) => w !== 'serves' && w !== 'needs=postgres' && !w.startsWith('after='));
  if (unknown.length > 0 || (rest.startsWith('skip') && !skip)) throw new Error(`README.md:${line}: marker ${id}: cannot read "${rest}"`);
  return { id, serves: words.includes('serves'), after, needsPostgres: words.includes('needs=postgres'), skip: skip?.[1] ?? null };
}

/** The ```sh blocks of the README, each with the marker on the last non-blank line before it. */
function readmeBlocks(): Block[] {
  const lines = readFileSync(resolve(ROOT, 'README.md'), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '```sh') continue;
    let k = i - 1;
    while (k >= 0 && lines[k]?.trim() === '') k--;
    const marker = parseMarker(lines[k] ?? '', i + 1);
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    if (end < 0) throw new Error(`README.md:${i + 1}: unterminated sh block`);
    blocks.push({ marker, code: lines.slice(i + 1, end).join('\n'), line: i + 1 });
    i = end;
  }
  return blocks;
}

function hasTool(name: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}


/** This process's env without anything that would point a README server elsewhere. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('YEYAK_') || k === 'DATABASE_URL' || k === 'REDIS_URL' || k === 'PORT' || k === 'NODE_ENV') continue;
    env[k] = v;
  }
  return { ...env, YEYAK_DATA_DIR: 'memory:', YEYAK_SEED_CLINICS: SEED_CLINICS, YEYAK_LOG_LEVEL: 'warn', npm_config_yes: 'false', ...extra };
}

function pointAt(code: string, port: number, databaseUrl: string | null): string {
  let out = code.split(README_PORT_URL).join(`http://localhost:${port}`).replace(/--port 8080\b/g, `--port ${port}`);
  if (databaseUrl) out = out.split(README_DATABASE_URL).join(databaseUrl);
  return out;
}

function capture(child: ChildProcess): () => string {
  let text = '';
  const add = (chunk: Buffer) => {
    if (text.length < OUTPUT_MAX_CHARS) text += chunk.toString('utf8');
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => text;
}

async function startServer(code: string, databaseUrl: string | null): Promise<RunningServer> {
  const port = await freePort();
  // Its own process group, so the whole block (bash, npx, node) stops with one signal.
  const child = spawn('bash', ['-c', `set -euo pipefail\n${pointAt(code, port, databaseUrl)}`], {
    cwd: ROOT,
    env: cleanEnv({ PORT: String(port) }),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = capture(child);
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`no "yeyak is serving" within ${SERVE_TIMEOUT_MS} ms:\n${output()}`)), SERVE_TIMEOUT_MS);
    const onData = () => {
      if (output().includes(`yeyak is serving on http://localhost:${port}`)) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the server block exited (${code}) before serving:\n${output()}`));
    });
  });
  return { port, child, output };
}

async function stopServer(s: RunningServer): Promise<void> {
  if (s.child.exitCode !== null || s.child.pid === undefined) return;
  const exited = new Promise<void>((done) => s.child.once('exit', () => done()));
  process.kill(-s.child.pid, 'SIGTERM');
  await exited;
}

async function runBlock(code: string, port: number): Promise<{ status: number | null; output: string }> {
  const child = spawn('bash', ['-c', `set -euo pipefail\n${pointAt(code, port, null)}`], {
    cwd: ROOT,
    env: cleanEnv({}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = capture(child);
  const status = await new Promise<number | null>((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), BLOCK_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done(code);
    });
  });
  return { status, output: output() };
}

const blocks = readmeBlocks();
const missingTools = ['bash', 'curl', 'jq'].filter((t) => !hasTool(t));
if (missingTools.length > 0 && process.env.CI) {
  throw new Error(`test/readme.test.ts needs ${missingTools.join(', ')} (CI must provide them: .ci/run installs curl and jq)`);
}
if (missingTools.length > 0) console.warn(`test/readme.test.ts skipped: ${missingTools.join(', ')} not installed (apt-get install curl jq)`);

const servers = new Map<string, RunningServer>();
const databases: TestDatabase[] = [];

afterAll(async () => {
  for (const s of servers.values()) await stopServer(s);
  for (const d of databases) await d.drop();
});

describe('README.md', () => {
  it('marks every sh block, and every marked block has its expectations here (and the reverse)', () => {
    const ids = blocks.map((b) => b.marker.id);
    expect(new Set(ids).size, 'block ids are unique').toBe(ids.length);
    expect([...ids].sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const b of blocks) {
      if (b.marker.after && b.marker.after !== 'npm-start') {
        const server = blocks.find((x) => x.marker.id === b.marker.after);
        expect(server?.marker.serves, `${b.marker.id}: after=${b.marker.after} names a serving block`).toBe(true);
        expect(blocks.indexOf(server as Block)).toBeLessThan(blocks.indexOf(b));
      }
    }
  });

  it('npm start is `node bin/yeyak.js serve` (what the npm-start server runs)', () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe('node bin/yeyak.js serve');
  });

  describe.skipIf(missingTools.length > 0).each(blocks.filter((b) => !b.marker.skip).map((b) => [`${b.marker.id} (README.md:${b.line})`, b] as const))(
    '%s',
    (_name, block) => {
      const { marker } = block;
      const expected = EXPECTED[marker.id] ?? { stdout: [] };
      const skipped = marker.needsPostgres && !process.env.DATABASE_URL;
      it.skipIf(skipped)(
        marker.serves ? 'starts and serves' : 'runs (exit 0) and prints what it should',
        async () => {
          if (marker.serves) {
            let databaseUrl: string | null = null;
            if (marker.needsPostgres) {
              const database = await createTestDatabase('yeyak_test_readme');
              databases.push(database);
              databaseUrl = database.url;
            }
            const server = await startServer(block.code, databaseUrl);
            servers.set(marker.id, server);
            for (const re of expected.stdout) expect(server.output()).toMatch(re);
            const health = await fetch(`http://127.0.0.1:${server.port}/healthz`);
            expect(health.status).toBe(200);
            await expected.check?.(server);
            return;
          }
          const serverId = marker.after ?? 'npm-start';
          let server = servers.get(serverId);
          if (!server && serverId === 'npm-start') {
            server = await startServer('node bin/yeyak.js serve', null);
            servers.set(serverId, server);
          }
          expect(server, `server ${serverId} is running`).toBeDefined();
          const result = await runBlock(block.code, (server as RunningServer).port);
          expect(result.status, result.output).toBe(0);
          for (const re of expected.stdout) expect(result.output).toMatch(re);
        },
        SERVE_TIMEOUT_MS + BLOCK_TIMEOUT_MS,
      );
    },
  );
});
