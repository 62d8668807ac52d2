/**
 * A small rehearsal end to end against a real server on a loopback port (korea-2021-08, its clock
 * at 9 Aug 2021 20:00:02 and running, the admission controller on), and a fake server whose 201s
 * are lies: the rehearsal must catch it and the CLI exit non-zero.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/core/config.ts';
import { FakeClock, systemClock, type Clock } from '../../src/core/clock.ts';
import type { Db } from '../../src/core/db.ts';
import { rehearsalPassed, runRehearsal } from '../../src/rehearsal/run.ts';
import type { RehearsalSummary } from '../../src/rehearsal/summary.ts';
import { openPgliteCopy } from '../helpers/pglite-copies.ts';
import { TEST_KEYS } from '../helpers/app.ts';
import { runCli } from '../helpers/cli.ts';

/** The machine's clock moved to a given instant at construction (the server's 20:00 goes on ticking). */
function clockFrom(iso: string): Clock {
  const offset = Date.parse(iso) - systemClock.nowMs();
  return { nowMs: () => systemClock.nowMs() + offset, now: () => new Date(systemClock.nowMs() + offset), monotonicMs: () => systemClock.monotonicMs() };
}

describe('rehearsal against a real server', () => {
  let app: FastifyInstance;
  let db: Db;
  let url: string;
  let summary: RehearsalSummary;

  beforeAll(async () => {
    const clock = clockFrom('2021-08-09T20:00:02+09:00');
    // The copy other korea-2021-08 suites use (test/helpers/app.ts: seed 7, 30 clinics, 20:00:05).
    db = await openPgliteCopy({ scenario: 'korea-2021-08', clock: new FakeClock('2021-08-09T20:00:05+09:00'), seed: 7, clinics: 30 });
    const config = loadConfig({ dataDir: 'memory:', identity: 'sandbox', trustProxy: 'loopback', ...TEST_KEYS }, {});
    app = await buildApp(config, { db, clock, logger: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    // Poisson at 100/s: the 200 arrive over ~2 s, as people do, not all in one tick.
    summary = await runRehearsal({ target: url, citizens: 200, arrival: { kind: 'poisson', ratePerS: 100 }, seed: 5, thinkScale: 0, adminToken: TEST_KEYS.adminToken, admission: { ratePerS: 1000, powBits: 4 }, connections: 16, maxInFlight: 64 });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('books, and every invariant holds', () => {
    expect(summary.citizens.simulated).toBe(200);
    expect(summary.citizens.booked).toBeGreaterThan(100);
    expect(summary.citizens.ineligible).toBeGreaterThan(0);
    expect(summary.invariants.filter((i) => !i.ok)).toEqual([]);
    expect(rehearsalPassed(summary)).toBe(true);
    expect(summary.fifoInversions).toBe(0);
  });

  it('every bot that tried was refused, with a catalogue code', () => {
    expect(summary.bots.length).toBeGreaterThan(0);
    for (const bot of summary.bots) {
      expect(bot.succeeded, bot.kind).toBe(0);
      expect(bot.passed, bot.kind).toBe(true);
      for (const answer of Object.keys(bot.answers)) if (bot.kind !== 'fast-poll' && bot.kind !== 'join-twice') expect(answer, bot.kind).toMatch(/^4\d\d YEYAK_E_/);
    }
    expect(summary.bots.reduce((n, b) => n + b.attempts, 0)).toBeGreaterThan(0);
  });

  it('latencies per endpoint from HDR histograms, a timeline, ETA samples', () => {
    const booking = summary.endpoints.find((e) => e.endpoint === 'POST /api/v1/reservations');
    expect(booking?.statuses['201']).toBeGreaterThan(100);
    expect(booking?.p99).toBeGreaterThanOrEqual(booking?.p50 ?? Infinity);
    expect(summary.timeline.length).toBeGreaterThan(0);
    expect(summary.eta.samples).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });
});

/** A server that says 201 to every booking and then knows none of them; everything else just works. */
function lyingServer(): Promise<HttpServer> {
  const routes: Array<[RegExp, number, unknown]> = [
    [/^GET \/api\/v1\/identity\/methods$/, 200, [{ method: 'phone', light: 'green', available: true }]],
    [/^POST \/api\/v1\/identity\/challenges$/, 201, { challengeId: 'c1', expiresAt: '2021-08-09T12:00:00Z' }],
    [/^POST \/api\/v1\/identity\/challenges\/c1\/verify$/, 200, { sessionToken: 's', csrfToken: 'x', device: 'd', expiresAt: '2021-08-09T12:00:00Z' }],
    [/^GET \/api\/v1\/campaigns\/korea-2021-08\/eligibility$/, 200, { eligible: true, reasons: [] }],
    [/^POST \/api\/v1\/campaigns\/korea-2021-08\/queue$/, 201, { ticket: 't', state: 'admitted', ahead: 0, position: 1, etaSeconds: 0, pollAfterMs: 0, pass: 'p' }],
    [/^GET \/api\/v1\/queue\/status$/, 200, { state: 'admitted', ahead: 0, position: 1, etaSeconds: 0, pollAfterMs: 0, pass: 'p' }],
    [/^GET \/api\/v1\/campaigns\/korea-2021-08\/regions$/, 200, [{ code: '11110', parentCode: '11', level: 2, remaining: 10 }]],
    [/^GET \/api\/v1\/campaigns\/korea-2021-08\/clinics\?/, 200, [{ id: 'C000001', remaining: 10 }]],
    [/^GET \/api\/v1\/campaigns\/korea-2021-08\/clinics\/C000001\/dates$/, 200, [{ date: '2021-08-26', remaining: 10 }]],
    [/^POST \/api\/v1\/reservations$/, 201, { bookingNumber: 'AAAA-BBBB-CCCC', doses: [] }],
    [/^(PATCH|DELETE) \/api\/v1\/reservations\//, 200, { bookingNumber: 'AAAA-BBBB-CCCC', status: 'cancelled', doses: [] }],
  ];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const line = `${req.method} ${req.url}`;
      const hit = routes.find(([re]) => re.test(line));
      res.writeHead(hit ? hit[1] : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(hit ? hit[2] : { error: { code: 'YEYAK_E_RESERVATION_NOT_FOUND', message: 'no such booking' } }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('a broken invariant', () => {
  let server: HttpServer;
  let url: string;
  beforeAll(async () => {
    server = await lyingServer();
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('201s that cannot be read back fail the rehearsal', async () => {
    const summary = await runRehearsal({ target: url, citizens: 30, seed: 1, thinkScale: 0, serverPids: [] });
    const readBack = summary.invariants.find((i) => i.name === 'every 201 booking reads back');
    expect(readBack?.ok).toBe(false);
    expect(readBack?.detail).toMatch(/404 YEYAK_E_RESERVATION_NOT_FOUND/);
    expect(rehearsalPassed(summary)).toBe(false);
  });

  it('the CLI exits non-zero and still writes summary.json and report.html', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rehearsal-'));
    try {
      const { code, stdout } = await runCli(['rehearse', '--target', url, '--citizens', '20', '--think-scale', '0', '--out', out, '--no-progress']);
      expect(code).toBe(1);
      expect(stdout).toMatch(/FAIL every 201 booking reads back/);
      const written = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RehearsalSummary;
      expect(written.invariants.some((i) => !i.ok)).toBe(true);
      expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/i);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
