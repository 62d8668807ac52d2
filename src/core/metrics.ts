import client from 'prom-client';
import { isYeyakError } from './errors.ts';

/** One registry per app instance, so several apps in one process (tests) do not collide. */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'yeyak_process_' });
  return {
    registry,
    /** yeyak_http_requests_total and yeyak_http_request_duration_seconds (RequestMetrics). */
    http: new RequestMetrics(registry),
    bookings: new client.Counter({
      name: 'yeyak_bookings_total',
      help: 'Booking attempts by outcome (ok: a new booking; replay: a retry answered with the stored one; a YEYAK_E_ code; or error) and channel (self, proxy, agent)',
      labelNames: ['outcome', 'channel'] as const,
      registers: [registry],
    }),
    bookingBatchSize: new client.Histogram({
      name: 'yeyak_booking_batch_size',
      help: 'Bookings per database transaction',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: [registry],
    }),
    bookingBatchSeconds: new client.Histogram({
      name: 'yeyak_booking_batch_seconds',
      help: 'Time of one booking batch in the database',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    queueJoins: new client.Counter({
      name: 'yeyak_queue_joins_total',
      help: 'Waiting-room joins answered with a ticket (a new place, or the place a rejoin keeps)',
      labelNames: ['campaign'] as const,
      registers: [registry],
    }),
    queueAdmissions: new client.Counter({
      name: 'yeyak_queue_admissions_total',
      help: 'Places admitted by the controller (this node, while leader)',
      labelNames: ['campaign'] as const,
      registers: [registry],
    }),
    queueEtaError: new client.Histogram({
      name: 'yeyak_queue_eta_error_seconds',
      help: 'Actual wait minus the wait promised at join, at first admission',
      buckets: [-600, -120, -30, -10, 0, 10, 30, 120, 600, 3600],
      registers: [registry],
    }),
    ...auditMetrics(registry),
  };
}

/** The invariant auditor's (src/operations/audit-job.ts): set from the latest round, whichever node ran it. */
function auditMetrics(registry: client.Registry) {
  return {
    auditViolations: new client.Gauge({
      name: 'yeyak_audit_violations',
      help: 'Things breaking each invariant at the latest audit round (0: it holds)',
      labelNames: ['check'] as const,
      registers: [registry],
    }),
    auditRuns: new client.Counter({
      name: 'yeyak_audit_runs_total',
      help: 'Audit rounds on this node by outcome (ok, broken, skipped: another node ran or runs it, error: the round failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    auditLastRunSeconds: new client.Gauge({
      name: 'yeyak_audit_last_run_timestamp_seconds',
      help: 'When the latest audit round started (Unix time)',
      registers: [registry],
    }),
    auditDurationSeconds: new client.Gauge({
      name: 'yeyak_audit_duration_seconds',
      help: 'How long the latest audit round took',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

interface RequestCell {
  readonly labels: { method: string; route: string; status: string };
  count: number;
  sum: number;
  /** Per bucket of HTTP_BUCKETS, not cumulative (+Inf is count). */
  readonly buckets: Float64Array;
}

/**
 * Every request's count (method, route, status) and duration (method, route), as prom-client's
 * Counter and Histogram would export them — but recorded into one cell per key found by a
 * string, not by prom-client's label hashing and validation on each of the status polls
 * (~5 % of a poll's CPU). The exposition is computed when /metrics is read.
 */
export class RequestMetrics {
  private readonly cells = new Map<string, RequestCell>();

  constructor(registry: client.Registry) {
    const cells = () => [...this.cells.values()];
    registry.registerMetric({
      name: 'yeyak_http_requests_total',
      help: 'HTTP requests by route and status',
      type: 'counter',
      get: async () => ({
        name: 'yeyak_http_requests_total',
        help: 'HTTP requests by route and status',
        type: 'counter',
        aggregator: 'sum',
        values: cells().map((c) => ({ labels: c.labels, value: c.count })),
      }),
    } as unknown as client.Metric);
    registry.registerMetric({
      name: 'yeyak_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      type: 'histogram',
      get: async () => ({
        name: 'yeyak_http_request_duration_seconds',
        help: 'HTTP request duration by route',
        type: 'histogram',
        aggregator: 'sum',
        values: durationSamples(cells()),
      }),
    } as unknown as client.Metric);
  }

  record(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let cell = this.cells.get(key);
    if (!cell) {
      cell = { labels: { method, route, status: String(status) }, count: 0, sum: 0, buckets: new Float64Array(HTTP_BUCKETS.length) };
      this.cells.set(key, cell);
    }
    cell.count++;
    cell.sum += seconds;
    let i = 0;
    while (i < HTTP_BUCKETS.length && seconds > (HTTP_BUCKETS[i] as number)) i++;
    if (i < HTTP_BUCKETS.length) cell.buckets[i] = (cell.buckets[i] as number) + 1;
  }
}

/** Histogram samples (cumulative buckets, +Inf, sum, count) by method and route: the statuses summed. */
function durationSamples(cells: readonly RequestCell[]) {
  const byRoute = new Map<string, { method: string; route: string; count: number; sum: number; buckets: Float64Array }>();
  for (const c of cells) {
    const key = `${c.labels.method} ${c.labels.route}`;
    let r = byRoute.get(key);
    if (!r) byRoute.set(key, (r = { method: c.labels.method, route: c.labels.route, count: 0, sum: 0, buckets: new Float64Array(HTTP_BUCKETS.length) }));
    r.count += c.count;
    r.sum += c.sum;
    for (let i = 0; i < HTTP_BUCKETS.length; i++) r.buckets[i] = (r.buckets[i] as number) + (c.buckets[i] as number);
  }
  const name = 'yeyak_http_request_duration_seconds';
  return [...byRoute.values()].flatMap((r) => {
    const labels = { method: r.method, route: r.route };
    let cumulative = 0;
    return [
      ...HTTP_BUCKETS.map((le, i) => ({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: (cumulative += r.buckets[i] as number) })),
      { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: r.count },
      { metricName: `${name}_sum`, labels, value: r.sum },
      { metricName: `${name}_count`, labels, value: r.count },
    ];
  });
}

/** Who booked: the citizen for themselves, a proxy for someone else, or a call-centre agent. */
export type BookingChannel = 'self' | 'proxy' | 'agent';

/** Runs one booking attempt and counts its outcome in yeyak_bookings_total. */
export async function countBooking<T extends { replayed: boolean }>(bookings: Metrics['bookings'], channel: BookingChannel, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    // A retry answered with the stored booking is no new booking.
    bookings.inc({ outcome: result.replayed ? 'replay' : 'ok', channel });
    return result;
  } catch (e) {
    bookings.inc({ outcome: isYeyakError(e) ? e.code : 'error', channel });
    throw e;
  }
}
