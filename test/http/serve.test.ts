/**
 * `serve` as a new user meets it (issue #7): a YEYAK_NOW clock that starts when the server begins
 * to serve (not while it seeds), a busy port that says how to pick another, and a store that does
 * not hold the scenario asked for.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { loadConfig, type ConfigInput } from '../../src/core/config.ts';
import { FakeClock, StartableClock } from '../../src/core/clock.ts';
import { openPglite } from '../../src/core/db.ts';
import { migrate } from '../../src/core/migrate.ts';
import { seedScenario } from '../../src/scenarios/seed.ts';
import { openStore, serve, StartError } from '../../src/server.ts';

const REHEARSAL = '2021-08-09T19:59:30+09:00';
const apps: FastifyInstance[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const app of apps) await app.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function configOf(flags: ConfigInput) {
  return loadConfig({ dataDir: 'memory:', port: 0, host: '127.0.0.1', logLevel: 'silent', ...flags }, {});
}

function portOf(app: FastifyInstance): number {
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('not listening');
  return address.port;
}

async function campaignNow(app: FastifyInstance, id: string): Promise<string | undefined> {
  const res = await fetch(`http://127.0.0.1:${portOf(app)}/api/v1/campaigns`);
  const list = (await res.json()) as { id: string; now: string }[];
  return list.find((c) => c.id === id)?.now;
}

describe('StartableClock', () => {
  it('reads its instant until started, then runs forward from it', () => {
    const base = new FakeClock('2030-01-01T00:00:00Z');
    const clock = new StartableClock(new Date(REHEARSAL), base);
    base.advance(80_000);
    expect(clock.now().toISOString()).toBe('2021-08-09T10:59:30.000Z');
    clock.start();
    base.advance(1_500);
    expect(clock.now().toISOString()).toBe('2021-08-09T10:59:31.500Z');
    clock.start(); // a second start changes nothing
    expect(clock.nowMs()).toBe(Date.parse('2021-08-09T10:59:31.500Z'));
  });
});

describe('serve', () => {
  it('with YEYAK_NOW: 80 s of seeding do not eat the rehearsal — the clock reads 19:59:30 when serving begins', async () => {
    const base = new FakeClock('2030-01-01T00:00:00Z');
    const lines: string[] = [];
    const app = await serve(configOf({ now: REHEARSAL, scenario: 'korea-2021-08' }), {
      baseClock: base,
      seedClinics: 5,
      // Seeding "takes" 80 s of real time: the base clock moves while the store fills.
      log: (line) => {
        lines.push(line);
        if (line.startsWith('Empty store')) base.advance(80_000);
      },
    });
    apps.push(app);
    expect(await campaignNow(app, 'korea-2021-08')).toBe(REHEARSAL);
    base.advance(30_000);
    expect(await campaignNow(app, 'korea-2021-08')).toBe('2021-08-09T20:00:00+09:00');
    expect(lines).toContainEqual(expect.stringContaining('holds: korea-2021-08'));
    expect(lines).toContainEqual(expect.stringContaining(`clock started at ${REHEARSAL}`));
  });

  it('a busy port fails before seeding, naming the port and how to pick another (PORT=… or --port)', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const address = holder.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const lines: string[] = [];
    try {
      const started = serve(configOf({ port }), { log: (line) => lines.push(line) });
      await expect(started).rejects.toBeInstanceOf(StartError);
      await expect(started).rejects.toThrow(new RegExp(`port ${port} is already in use.*PORT=${port + 1} npm start.*--port ${port + 1}`));
      expect(lines.filter((l) => l.startsWith('Empty store'))).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  describe('on a store that holds the demo', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yeyak-serve-test-'));
    dirs.push(dir);
    const seedDemo = async () => {
      const db = await openPglite(dir);
      await migrate(db);
      await seedScenario(db, { scenario: 'demo', clinics: 5, clock: new FakeClock('2026-01-05T12:00:00+09:00') });
      await db.close();
    };

    it('--scenario korea-2021-08 is refused with the fix to run; nothing is seeded', async () => {
      await seedDemo();
      const lines: string[] = [];
      const started = serve(configOf({ dataDir: dir, scenario: 'korea-2021-08' }), { scenarioExplicit: true, log: (l) => lines.push(l) });
      await expect(started).rejects.toThrow(/holds demo, not korea-2021-08.*YEYAK_DATA_DIR=.*npx yeyak serve --scenario korea-2021-08.*npx yeyak seed --scenario korea-2021-08/);
      expect(lines).toContainEqual(expect.stringContaining('holds: demo'));
      const db = await openPglite(dir);
      const ids = await db.query<{ id: string }>('SELECT id FROM campaign');
      await db.close();
      expect(ids.rows).toEqual([{ id: 'demo' }]);
    });

    it('without an explicit scenario (npm start) it serves what the store holds, rolled forward to today', async () => {
      const lines: string[] = [];
      const app = await serve(configOf({ dataDir: dir, now: '2026-03-02T09:00:00+09:00' }), { log: (l) => lines.push(l) });
      apps.push(app);
      expect(lines).toContainEqual(expect.stringContaining('holds: demo'));
      expect(lines).toContainEqual(expect.stringMatching(/Demo rolled forward to today: bookable until 2026-03-23/));
    });
  });
});

describe.skipIf(!process.env.DATABASE_URL)('on PostgreSQL', () => {
  it('migrate/serve create the database DATABASE_URL names when it does not exist, with a log line', async () => {
    const name = `yeyak_test_created_${randomBytes(6).toString('hex')}`;
    const url = new URL(process.env.DATABASE_URL as string);
    url.pathname = `/${name}`;
    const lines: string[] = [];
    try {
      const db = await openStore(configOf({ databaseUrl: url.toString() }), (l) => lines.push(l));
      const r = await db.query<{ db: string }>('SELECT current_database() AS db');
      await db.close();
      expect(r.rows[0]?.db).toBe(name);
      expect(lines).toEqual([`Created database ${name} on ${url.hostname}:${url.port || 5432} (it did not exist).`]);
      const again: string[] = [];
      await (await openStore(configOf({ databaseUrl: url.toString() }), (l) => again.push(l))).close();
      expect(again).toEqual([]);
    } finally {
      const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
