/**
 * Faults on purpose (issue #10): an opening night on two nodes behind nginx, during which one node
 * is killed (SIGKILL), PostgreSQL is stopped and started again, and Redis is shut down and started
 * again. Afterwards: every booking answered 201 exists exactly once, no refused attempt left a
 * booking, the capacity invariants hold, the waiting tickets kept their places, and the night
 * finished on the surviving node.
 *
 * Why private stores: the faults stop PostgreSQL and Redis. The machine's services are shared
 * (other suites, other developers' runs on the same host), so this suite runs its own PostgreSQL
 * (initdb in a temp dir, its own port; as root through `runuser -u postgres`) and its own
 * redis-server with the persistence production must run (AOF, fsync always) — a Redis with no
 * persistence forgets its line on restart, and only the checkpoint in PostgreSQL would restore it.
 *
 * Bounded: every wait has a deadline and says what it waited for. CI=true: a missing nginx,
 * redis-server or PostgreSQL fails the suite instead of skipping it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { machineMonotonicMs } from '../../src/core/clock.ts';
import { runCli } from '../helpers/cli.ts';
import { startNginx, startNodes, type RunningNginx, type YeyakNodes } from '../helpers/cluster.ts';
import { pgClient, startDurableRedis, startPrivatePostgres, waitUntil, type DurableRedis, type PrivatePostgres } from '../helpers/faults.ts';
import { CAMPAIGN, citizenRrn, Citizens, citizenPhone, type Ledger } from './citizens.ts';
import { citizenOf } from '../../src/rehearsal/plan.ts';
import type { RehearsalSummary } from '../../src/rehearsal/summary.ts';

const has = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const missing = ['nginx', 'redis-server', 'redis-cli'].filter((c) => !has(c));
if (!has('pg_config') && !existsSync('/usr/lib/postgresql')) missing.push('PostgreSQL (initdb, pg_ctl)');
if (missing.length > 0 && process.env.CI === 'true') throw new Error(`the fault suite needs ${missing.join(', ')} (CI=true: not skipped)`);

const NOW = '2021-08-09T20:00:05+09:00'; // window 1 (born on the 9th, 19th, 29th) has just opened
const CLINICS = 12;
const HOT_CAPACITY = 8;
const CITIZENS = 90;
const ADMIT_PER_S = 5;

// The rehearsal: a few hundred simulated citizens (the realistic mix: ineligible, storms, bots,
// changes, cancels), arriving through the faults; bounded by --duration and a deadline.
const REHEARSAL = { citizens: 200, arrival: 'poisson:8', seed: 10, durationSeconds: 120 };
const REHEARSAL_DEADLINE_MS = 170_000;

const phase = { name: 'start' };

interface Rehearsal {
  /** Still running (not exited). */
  running(): boolean;
  /** Resolves with the exit code and output once it exits; kills it (and fails) past `deadlineMs` from its start. */
  finished(deadlineMs: number): Promise<{ code: number | null; output: string }>;
  kill(): void;
}

function startRehearsal(target: string, serverPids: number[], outDir: string): Rehearsal {
  const args = ['bin/yeyak.js', 'rehearse', '--target', target, '--campaign', CAMPAIGN, '--citizens', String(REHEARSAL.citizens), '--arrival', REHEARSAL.arrival];
  args.push('--seed', String(REHEARSAL.seed), '--duration', String(REHEARSAL.durationSeconds), '--out', outDir, '--no-progress', '--server-pid', serverPids.join(','));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const started = machineMonotonicMs();
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-8000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    finished: async (deadlineMs) => {
      const left = Math.max(0, started + deadlineMs - machineMonotonicMs());
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), left)));
      const code = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (code === 'late') {
        child.kill('SIGKILL');
        throw new Error(`yeyak rehearse did not finish within ${deadlineMs} ms of its start:\n${output}`);
      }
      return { code, output };
    },
    running: () => child.exitCode === null && child.signalCode === null,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(missing.length > 0)('faults on purpose: kill -9 a node, restart PostgreSQL, restart Redis, mid-opening', () => {
  let postgres: PrivatePostgres;
  let redis: DurableRedis;
  let nodes: YeyakNodes;
  let nginx: RunningNginx;
  let databaseUrl: string;
  let ledger: Ledger;
  let hot: { clinicId: string; date: string };
  const probes: { phase: string; what: string; status: number; code: string; ms: number }[] = [];
  const waitingBeforeRedis = new Map<number, { position: number | null; ahead: number }>();
  const rehearsalDir = mkdtempSync(join(tmpdir(), 'yeyak-faults-rehearsal-'));
  let rehearsal: Rehearsal | null = null;
  let rehearsalExit: { code: number | null; output: string } = { code: null, output: '' };
  /** Each fault, and whether the rehearsal was still running when it struck and when it ended. */
  const faultsDuringRehearsal: string[] = [];
  const duringRehearsal = (fault: string) => {
    if (!rehearsal?.running()) faultsDuringRehearsal.push(`${fault}: the rehearsal had already ended`);
  };

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${nginx.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${nodes.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    redis = await startDurableRedis();
    databaseUrl = postgres.url('yeyak_faults');
    nodes = await startNodes({
      count: 2,
      databaseUrl,
      redisUrl: redis.url,
      env: {
        YEYAK_NOW: NOW,
        YEYAK_SCENARIO: 'korea-2021-08',
        YEYAK_SEED_CLINICS: String(CLINICS),
        // Every citizen comes from 127.0.0.1: the per-address limits would be the only thing measured.
        YEYAK_JOIN_PER_IP_PER_MIN: '1000000',
        YEYAK_CHALLENGES_PER_IP_PER_MIN: '1000000',
      },
    });
    nginx = await startNginx({ upstreams: nodes.urls });
    // A hot clinic-day with a few doses: some bookings are refused (SLOT_FULL), and the capacity
    // invariants are tested where they bind.
    const dates = (await (await fetch(`${nginx.url}/api/v1/campaigns/${CAMPAIGN}/clinics/C000001/dates`)).json()) as { date: string }[];
    hot = { clinicId: 'C000001', date: (dates[0] as { date: string }).date };
    const patched = await admin('PATCH', `/admin/clinics/C000001/slots/${hot.date}`, { campaignId: CAMPAIGN, capacity: HOT_CAPACITY });
    expect(patched.status, await patched.text()).toBe(200);
    const rate = await admin('PATCH', `/admin/queue/${CAMPAIGN}`, { ratePerS: ADMIT_PER_S });
    expect(rate.status, await rate.text()).toBe(200);
  }, 180_000);

  afterAll(async () => {
    rehearsal?.kill();
    rmSync(rehearsalDir, { recursive: true, force: true });
    await nginx?.stop();
    await nodes?.stop();
    await redis?.destroy();
    await postgres?.destroy();
  });

  /** Waits until `n` more bookings than now got a 201. */
  const moreBookings = async (citizens: Citizens, n: number, what: string) => {
    const booked = () => citizens.ledger.attempts.filter((a) => a.outcome === 'booked').length;
    const target = booked() + n;
    await waitUntil(`${n} more bookings ${what}`, 60_000, async () => booked() >= target, 200).catch((e: unknown) => {
      const tails = nodes.urls.map((u, i) => `node ${i} (${u}):\n${nodes.output(i).slice(-1500)}`).join('\n');
      throw new Error(`${e instanceof Error ? e.message : String(e)}: ${booked()} so far; ${citizens.describe()}\n${tails}`, { cause: e });
    });
  };

  /** What the line answers while a store is down: each probe must answer (no hang) with a catalogue code, never a 500. */
  const probe = async (what: string, path: string, init: RequestInit = {}) => {
    const t = machineMonotonicMs();
    try {
      const res = await fetch(`${nginx.url}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
      probes.push({ phase: phase.name, what, status: res.status, code: body.error?.code ?? '', ms: machineMonotonicMs() - t });
    } catch (e) {
      probes.push({ phase: phase.name, what, status: 0, code: e instanceof Error ? e.name : 'error', ms: machineMonotonicMs() - t });
    }
  };

  it('the night goes on through kill -9 of a node, a PostgreSQL restart and a Redis restart', async () => {
    // The bulk of the load: `yeyak rehearse` in its own process (the faults are injected here
    // while it runs); the suite's own citizens below keep the ledger the checks need.
    // The ledger's people are not the rehearsal's (a phone is a person to the sandbox's registry).
    const theirs = Array.from({ length: REHEARSAL.citizens }, (_, i) => citizenOf(REHEARSAL.seed, i));
    const ours = new Set(Array.from({ length: CITIZENS }, (_, i) => [citizenPhone(i), citizenRrn(i)]).flat());
    expect(theirs.filter((c) => ours.has(c.phone) || ours.has(c.rrn)).map((c) => c.index), 'rehearsal citizens sharing a phone or RRN with the ledger').toEqual([]);
    rehearsal = startRehearsal(nginx.url, nodes.pids, rehearsalDir);
    const citizens = new Citizens({
      target: nginx.url,
      count: CITIZENS,
      arrivalPerS: 6,
      clinics: CLINICS,
      hot: { ...hot, every: 3 },
      phase: () => phase.name,
      deadlineMs: machineMonotonicMs() + 150_000,
    });
    const running = citizens.run();

    phase.name = 'two nodes';
    await moreBookings(citizens, 8, 'on two nodes');

    // kill -9: no drain, no goodbye. nginx moves idempotent requests to the other node; a POST
    // that node held is lost with it, and its citizen sends it again with the same key.
    duringRehearsal('kill -9');
    phase.name = 'killing node 0';
    await nodes.kill(0, 'SIGKILL');
    phase.name = 'node 0 killed'; // once it has exited: an answer it gave just before is not 'after'
    await moreBookings(citizens, 8, 'after node 0 was killed');

    // PostgreSQL stopped (fast: every connection cut) for a few seconds, then started again.
    duringRehearsal('PostgreSQL stopped');
    phase.name = 'postgres down';
    await postgres.stop();
    await Promise.all([
      probe('healthz', '/healthz'),
      probe('verify start', '/api/v1/identity/challenges', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ method: 'phone', name: '시민', rrn: '900809-1999999', phone: '010-9999-0001' }),
      }),
      probe('campaigns', '/api/v1/campaigns'),
      sleep(3_000),
    ]);
    phase.name = 'postgres back';
    await postgres.start();
    await moreBookings(citizens, 5, 'after PostgreSQL came back');

    // Redis shut down and started again on its AOF: the tickets waiting now keep their places.
    for (const c of citizens.ledger.citizens) {
      const last = c.statuses.at(-1);
      if (c.done === null && last?.state === 'waiting') waitingBeforeRedis.set(c.index, { position: last.position, ahead: last.ahead });
    }
    phase.name = 'redis down';
    await redis.shutdown();
    await Promise.all([probe('queue status', '/api/v1/queue/status', { headers: { authorization: 'Bearer x.y.z' } }), sleep(2_000)]);
    phase.name = 'redis back';
    await redis.start();
    duringRehearsal('Redis back');

    ledger = await running;
    phase.name = 'rehearsal ending';
    rehearsalExit = await rehearsal.finished(REHEARSAL_DEADLINE_MS);
    phase.name = 'done';
    // The night in one line for the CI log: where the citizens ended, refusals, failed requests.
    console.log(`fault suite: ${citizens.describe()}\n${waitingBeforeRedis.size} of the ledger's tickets waiting as Redis went down; nginx answered 502 "no live upstreams" ${(nginx.output().match(/no live upstreams/g) ?? []).length} times\nwhile a store was down: ${probes.map((p) => `${p.what} (${p.phase}) → ${p.status} ${p.code} in ${Math.round(p.ms)} ms`).join('; ')}`);
    const unfinished = ledger.citizens.filter((c) => c.done !== 'booked' && c.done !== 'refused');
    expect(unfinished.map((c) => `${c.index}: ${c.lastError}`), 'every citizen finished (booked or refused)').toEqual([]);
    expect(ledger.attempts.filter((a) => a.outcome === 'booked').length).toBeGreaterThan(CITIZENS / 2);
  }, 240_000);

  describe('afterwards', () => {
    let db: pg.Client;
    beforeAll(async () => {
      db = await pgClient(databaseUrl);
    });
    afterAll(async () => {
      await db?.end();
    });

    it('every booking that got a 201 exists exactly once, confirmed, for its citizen', async () => {
      const booked = ledger.attempts.filter((a) => a.outcome === 'booked');
      const numbers = booked.map((a) => a.bookingNumber as string);
      expect(new Set(numbers).size, 'no booking number answered twice').toBe(numbers.length);
      const rows = await db.query<{ booking_number: string; n: number; status: string; phone: string }>(
        `SELECT r.booking_number, count(*) OVER (PARTITION BY r.booking_number)::int AS n, r.status, regexp_replace(p.phone, '\\D', '', 'g') AS phone
           FROM reservation r JOIN person p ON p.id = r.person_id WHERE r.booking_number = ANY($1)`,
        [numbers],
      );
      const byNumber = new Map(rows.rows.map((r) => [r.booking_number, r]));
      const wrong = numbers.filter((n) => byNumber.get(n)?.n !== 1 || byNumber.get(n)?.status !== 'confirmed');
      expect(wrong, 'booking numbers missing, duplicated or not confirmed').toEqual([]);
    });

    it('no refused attempt left a booking: each citizen holds exactly the booking its 201 named, or none', async () => {
      const rows = await db.query<{ phone: string; booking_number: string }>(
        `SELECT regexp_replace(p.phone, '\\D', '', 'g') AS phone, r.booking_number
           FROM reservation r JOIN person p ON p.id = r.person_id WHERE r.campaign_id = $1 AND r.status = 'confirmed'`,
        [CAMPAIGN],
      );
      const held = new Map<string, string[]>();
      for (const r of rows.rows) held.set(r.phone, [...(held.get(r.phone) ?? []), r.booking_number]);
      const mismatches: string[] = [];
      for (const c of ledger.citizens) {
        const expected = ledger.attempts.filter((a) => a.citizen === c.index && a.outcome === 'booked').map((a) => a.bookingNumber as string);
        const actual = held.get(citizenPhone(c.index).replace(/\D/g, '')) ?? [];
        if (JSON.stringify([...actual].sort()) !== JSON.stringify([...expected].sort())) mismatches.push(`citizen ${c.index}: answered ${JSON.stringify(expected)}, holds ${JSON.stringify(actual)}`);
      }
      expect(mismatches).toEqual([]);
      const refusedKeys = ledger.attempts.filter((a) => a.outcome === 'refused').map((a) => a.key);
      expect(refusedKeys.length, 'the hot clinic-day refused some attempts').toBeGreaterThan(0);
      const kept = await db.query<{ key: string }>(`SELECT key FROM idempotency_key WHERE key = ANY($1) AND response IS NOT NULL`, [refusedKeys]);
      expect(kept.rows.map((r) => r.key), 'a refused attempt has no stored booking').toEqual([]);
    });

    it('capacity invariants hold: per slot booked + remaining = capacity, one reservation per person, supply covers the slots', async () => {
      const slots = await db.query(
        `SELECT s.id, s.capacity, s.remaining, count(d.*)::int AS booked
           FROM slot s LEFT JOIN reservation_dose d ON d.slot_id = s.id AND EXISTS (SELECT 1 FROM reservation r WHERE r.id = d.reservation_id AND r.status = 'confirmed')
          GROUP BY s.id HAVING count(d.*) + s.remaining <> s.capacity OR s.remaining < 0`,
      );
      expect(slots.rows).toEqual([]);
      const twice = await db.query(`SELECT person_id FROM reservation WHERE status = 'confirmed' GROUP BY campaign_id, person_id HAVING count(*) > 1`);
      expect(twice.rows).toEqual([]);
      const supply = await db.query(`SELECT id FROM supply WHERE allocated > doses`);
      expect(supply.rows).toEqual([]);
      // The hot clinic-day: never more 201s than doses (the rehearsal's citizens book and cancel there too).
      const hotBooked = ledger.attempts.filter((a) => a.outcome === 'booked' && a.clinicId === hot.clinicId && a.date === hot.date).length;
      expect(hotBooked).toBeLessThanOrEqual(HOT_CAPACITY);
      expect(ledger.attempts.some((a) => a.clinicId === hot.clinicId && a.code === 'YEYAK_E_SLOT_FULL'), 'the hot clinic-day refused someone').toBe(true);
    });

    it('the invariant auditor (npx yeyak audit, with the Redis waiting room) finds every check holding', async () => {
      const audit = await runCli(['audit', '--json', '--campaign', CAMPAIGN], { DATABASE_URL: databaseUrl, REDIS_URL: redis.url });
      expect(audit.code, `${audit.stdout}\n${audit.stderr}`).toBe(0);
      const report = JSON.parse(audit.stdout) as { ok: boolean; checks: { check: string; ok: boolean; violations: number }[] };
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      expect(report.checks.map((c) => c.check)).toContain('pass_spent'); // Redis was audited too
      expect(report.ok).toBe(true);
    });

    it('waiting places were kept: through the Redis restart each ticket stayed valid, at its place, and no further back', () => {
      expect(waitingBeforeRedis.size, 'some tickets were waiting when Redis went down').toBeGreaterThan(0);
      const problems: string[] = [];
      for (const c of ledger.citizens) {
        if (c.ticketRefusals.length > 0) problems.push(`citizen ${c.index}: ticket refused ${c.ticketRefusals.join(', ')}`);
        if (c.statuses.some((s) => s.position !== c.ticketPosition)) problems.push(`citizen ${c.index}: position moved from ${c.ticketPosition}`);
        // From the kill on, one node answers: ahead never grows (admittedUpTo never decreases).
        const single = c.statuses.filter((s) => !['start', 'two nodes', 'killing node 0'].includes(s.phase));
        for (let k = 1; k < single.length; k++) {
          const [a, b] = [single[k - 1], single[k]] as [(typeof single)[0], (typeof single)[0]];
          if (b.ahead > a.ahead) problems.push(`citizen ${c.index}: ahead grew ${a.ahead} → ${b.ahead} (${a.phase} → ${b.phase})`);
        }
        const before = waitingBeforeRedis.get(c.index);
        if (before) {
          // The first answer after the snapshot (one in flight as Redis went down counts too).
          const after = c.statuses.find((s) => ['redis down', 'redis back', 'rehearsal ending', 'done'].includes(s.phase));
          if (!after) problems.push(`citizen ${c.index}: no status after Redis went down`);
          else if (after.ahead > before.ahead) problems.push(`citizen ${c.index}: ahead ${before.ahead} before the restart, ${after.ahead} after`);
        }
      }
      expect(problems).toEqual([]);
      const pollsAfterRestart = ledger.citizens.filter((c) => waitingBeforeRedis.has(c.index) && c.statuses.some((s) => s.phase === 'redis back'));
      expect(pollsAfterRestart.length, 'tickets waiting before the restart were polled on the restarted Redis').toBeGreaterThan(0);
    });

    it('no request failed with a 500, and while a store was down the answers were catalogue codes, not hangs', () => {
      // Every code sent was right: an outage answered 503 must not count as a wrong attempt.
      expect(ledger.refusedVerifications.filter((r) => r.includes('YEYAK_E_CHALLENGE_LOCKED')), 'no challenge locked by retries through an outage').toEqual([]);
      const fivehundreds = ledger.failed.filter((f) => f.status === 500);
      const logged = [0, 1].flatMap((i) => nodes.output(i).split('\n').filter((l) => l.includes('unhandled error')).slice(0, 3).map((l) => `node ${i}: ${l.slice(0, 800)}`));
      expect(fivehundreds, `no 500 (a 500 is a bug); the nodes logged:\n${logged.join('\n')}`).toEqual([]);
      const outage = ledger.failed.filter((f) => f.phase === 'postgres down' && f.status === 503);
      expect(outage.length, 'requests needing PostgreSQL while it was down were answered 503').toBeGreaterThan(0);
      expect(outage.filter((f) => f.code !== 'YEYAK_E_STORE_UNAVAILABLE'), 'each 503 with the catalogue code').toEqual([]);
      for (const p of probes) {
        expect(p.status, `${p.what} while ${p.phase}`).not.toBe(0);
        expect(p.status, `${p.what} while ${p.phase}: ${p.code}`).not.toBe(500);
      }
    });

    it('the rehearsal ran through the faults to its end: its summary is written, and what must hold under faults held', () => {
      expect(faultsDuringRehearsal, 'every fault struck while the rehearsal ran').toEqual([]);
      expect([0, 1], `yeyak rehearse exited ${rehearsalExit.code}:\n${rehearsalExit.output}`).toContain(rehearsalExit.code);
      const summary = JSON.parse(readFileSync(join(rehearsalDir, 'summary.json'), 'utf8')) as RehearsalSummary;
      const held = (name: string) => summary.invariants.find((i) => i.name === name);
      // "no 5xx" and "every request answered" cannot hold while a node dies and a store is away
      // (nginx's 502 for a POST the dead node held, 503 while PostgreSQL is down); these must.
      for (const name of ['every 201 booking reads back', 'no bot succeeded', 'a retry storm books once', 'no FIFO inversion beyond the shuffle']) {
        expect(held(name), `${name}: ${held(name)?.detail}`).toMatchObject({ ok: true });
      }
      expect(Object.keys(summary.errorsByCode).filter((k) => k.startsWith('500')), 'no 500 in the rehearsal').toEqual([]);
      expect(summary.citizens.booked, 'the rehearsal booked citizens').toBeGreaterThan(0);
      console.log(`rehearsal: ${summary.citizens.simulated} citizens, ${summary.citizens.booked} booked, ${summary.citizens.stillWaiting} still waiting, errors ${JSON.stringify(summary.errorsByCode)}`);
    });

    it('the night finished on the surviving node: node 0 is gone, node 1 answered everything after the kill', async () => {
      const nodeOf = (i: number) => new RegExp(`:${nodes.pids[i]}:`);
      const byPhase = ledger.answeredBy;
      expect(Object.keys(byPhase['two nodes'] ?? {}).filter((n) => nodeOf(0).test(n)).length, 'node 0 answered before the kill').toBe(1);
      for (const later of ['node 0 killed', 'postgres down', 'postgres back', 'redis down', 'redis back']) {
        const answered = Object.keys(byPhase[later] ?? {}).filter((n) => n !== '');
        expect(answered.filter((n) => nodeOf(0).test(n)), `no answer from node 0 while "${later}"`).toEqual([]);
      }
      expect(Object.keys(byPhase['redis back'] ?? {}).filter((n) => nodeOf(1).test(n)).length, 'node 1 served the end of the night').toBe(1);
      await expect(fetch(`${nodes.urls[0]}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
      const res = await fetch(`${nginx.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
      expect(res.status).toBe(200);
      const direct = await fetch(`${nodes.urls[1]}/healthz`, { signal: AbortSignal.timeout(5_000) });
      expect(direct.status).toBe(200);
    });
  });
});
