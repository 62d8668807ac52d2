/**
 * The load generator measures from the planned start (open model): a slow server, or a full
 * client, shows as latency. A fake transport advances a fake clock, so no real time is measured.
 */
import { describe, expect, it } from 'vitest';
import { Loadgen, type RawAnswer, type RequestSpec } from '../../src/rehearsal/loadgen.ts';
import { arrivalTimes, citizenOf, rrnCheckDigit } from '../../src/rehearsal/plan.ts';
import { parseRrn } from '../../src/rules/rrn.ts';
import { deferred } from '../helpers/app.ts';

/** A server that answers one request at a time, each taking `serviceMs` of the fake clock. */
function slowServer(serviceMs: number) {
  const clock = { now: 0 };
  let busyUntil = 0;
  const transport = async (_spec: RequestSpec): Promise<RawAnswer> => {
    const start = Math.max(clock.now, busyUntil);
    busyUntil = start + serviceMs;
    await Promise.resolve();
    clock.now = busyUntil;
    return { status: 200, headers: {}, text: '{}' };
  };
  return { clock, transport };
}

describe('load generator', () => {
  it('latency runs from the planned start: with one request in flight, the third waits for two services', async () => {
    const { clock, transport } = slowServer(100);
    const lg = new Loadgen({ transport, maxInFlight: 1, now: () => clock.now });
    const spec = { method: 'GET' as const, path: '/x', endpoint: 'GET /x' };
    const answers = await Promise.all([lg.request(0, spec), lg.request(0, spec), lg.request(0, spec)]);
    // All three were planned at 0: the client queue and the server's queue both count.
    expect(answers.map((a) => a.endMs - a.plannedMs)).toEqual([100, 200, 300]);
    const [latency] = lg.latencies();
    expect(latency?.count).toBe(3);
    expect(latency?.max).toBeGreaterThanOrEqual(299);
    expect(latency?.p50).toBeGreaterThanOrEqual(199);
  });

  it('a request planned in the past is sent at once and its lateness counted', async () => {
    const { clock, transport } = slowServer(10);
    clock.now = 500;
    const lg = new Loadgen({ transport, maxInFlight: 4, now: () => clock.now });
    const a = await lg.request(200, { method: 'GET', path: '/x', endpoint: 'GET /x' });
    expect(a.endMs - a.plannedMs).toBe(310);
  });

  it('bounds requests in flight: the fifth of five waits until one of four answers', async () => {
    const gates = Array.from({ length: 5 }, () => deferred<void>());
    let started = 0;
    const lg = new Loadgen({
      transport: async () => {
        await (gates[started++] as { promise: Promise<void> }).promise;
        return { status: 200, headers: {}, text: '' };
      },
      maxInFlight: 4,
      now: () => 0,
    });
    const spec = { method: 'GET' as const, path: '/x', endpoint: 'GET /x' };
    const all = Promise.all(Array.from({ length: 5 }, () => lg.request(0, spec)));
    await new Promise((r) => setImmediate(r));
    expect(lg.backlog).toEqual({ due: 1, inFlight: 4, scheduled: 0 });
    gates[0]?.resolve();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(lg.backlog.inFlight).toBe(4);
    expect(lg.backlog.due).toBe(0);
    for (const g of gates) g.resolve();
    await all;
    expect(lg.idle).toBe(true);
  });

  it('stop() answers what is scheduled or due without sending it', async () => {
    let sent = 0;
    const lg = new Loadgen({ transport: async () => (sent++, { status: 200, headers: {}, text: '' }), maxInFlight: 1, now: () => 0 });
    const later = lg.request(60_000, { method: 'GET', path: '/x', endpoint: 'GET /x' });
    lg.stop();
    expect((await later).code).toBe('STOPPED');
    expect(sent).toBe(0);
  });
});

describe('the plan', () => {
  it('is the same for a seed, and another for another seed', () => {
    const plan = (seed: number) => Array.from({ length: 500 }, (_, i) => {
      const c = citizenOf(seed, i);
      return { kind: c.kind, behaviour: c.behaviour, name: c.name, rrn: c.rrn, phone: c.phone, first: c.random() };
    });
    expect(plan(7)).toEqual(plan(7));
    expect(plan(8)).not.toEqual(plan(7));
    const times = (seed: number) => {
      const next = arrivalTimes({ kind: 'poisson', ratePerS: 100 }, 200, seed, 300);
      return Array.from({ length: 200 }, () => next());
    };
    expect(times(7)).toEqual(times(7));
  });

  it('gives distinct synthetic people with valid RRNs (date, check digit) and distinct phones and addresses', () => {
    const people = Array.from({ length: 20_000 }, (_, i) => citizenOf(3, i * 7));
    for (const p of people.slice(0, 2000)) {
      const parsed = parseRrn(p.rrn);
      expect(parsed.ok).toBe(true);
      const digits = p.rrn.replace('-', '');
      expect(Number(digits[12])).toBe(rrnCheckDigit(digits.slice(0, 12)));
    }
    expect(new Set(people.map((p) => p.rrn)).size).toBe(people.length);
    expect(new Set(people.map((p) => p.phone)).size).toBe(people.length);
    expect(new Set(people.map((p) => p.address)).size).toBe(people.length);
  });

  it('draws the issue mix: ~10 % ineligible or not yet, ~5 % storms, ~2 % bots', () => {
    const n = 20_000;
    const kinds: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const k = citizenOf(11, i).kind;
      kinds[k] = (kinds[k] ?? 0) + 1;
    }
    expect(((kinds['outside-cohort'] ?? 0) + (kinds['not-yet'] ?? 0)) / n).toBeCloseTo(0.1, 1);
    expect((kinds.storm ?? 0) / n).toBeCloseTo(0.05, 1);
    expect((kinds.bot ?? 0) / n).toBeCloseTo(0.02, 1);
  });

  it('burst spreads arrivals over the first second; replay puts 40 % in the first 30 min of the night', () => {
    const burst = arrivalTimes({ kind: 'burst' }, 1000, 1, 300);
    const b = Array.from({ length: 1000 }, () => burst() as number);
    expect(b[0]).toBe(0);
    expect(Math.max(...b)).toBeLessThan(1000);
    expect(burst()).toBeNull();
    const replay = arrivalTimes({ kind: 'replay', night: '2021-08-09' }, 10_000, 1, 1320); // 1 s per minute of the night
    const r = Array.from({ length: 10_000 }, () => replay() as number);
    expect(r.filter((t) => t < 30_000).length / 10_000).toBeCloseTo(0.4, 2);
  });
});
