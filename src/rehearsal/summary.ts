/**
 * What one rehearsal found: written as JSON at the end of `yeyak rehearse`, rendered into the HTML
 * report (report.ts) and read by the fault suite. Plain data only, so the JSON round-trips.
 * Times in milliseconds unless a name says otherwise; instants are ISO-8601 strings.
 */

/** Latency percentiles of one endpoint, measured from each request's planned start (open model). */
export interface EndpointLatency {
  /** A route template, e.g. "GET /api/v1/queue/status". */
  endpoint: string;
  count: number;
  /** Answers by HTTP status ("201", "429", …; "error" for a connection failure or timeout). */
  statuses: Record<string, number>;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** One point of the live series, taken every second or so. */
export interface TimelinePoint {
  /** Seconds since the rehearsal started. */
  t: number;
  /** Citizens in the waiting room at that moment (as the rehearsal saw them: joined, not yet admitted). */
  waiting: number;
  /** Citizens admitted in the last interval, per second. */
  admittedPerSecond: number;
  /** Bookings that got a 201 in the last interval, per second. */
  bookingsPerSecond: number;
  /** Requests started in the last interval, per second. */
  requestsPerSecond: number;
  /** p99 of every request finished in the last interval. */
  p99: number;
  /** Failed requests (5xx or connection errors) in the last interval. */
  errors: number;
}

/** What a kind of bot tried and what it got; `passed` is true when every attempt was refused. */
export interface BotResult {
  kind: string;
  /** What the bot tries, in a sentence. */
  tries: string;
  attempts: number;
  /** Answers by status and code, e.g. {"401 YEYAK_E_PASS_INVALID": 12}. */
  answers: Record<string, number>;
  /** Attempts that succeeded where they must have failed. */
  succeeded: number;
  passed: boolean;
}

/** Shown ETA against the wait the citizen then had (first ETA after joining vs admission). */
export interface EtaAccuracy {
  samples: number;
  /** Percentiles of (actual − shown) / shown. */
  errorP50: number;
  errorP90: number;
  /** Share (0–1) of citizens whose actual wait was within ±20 % of the ETA shown. */
  withinTwentyPercent: number;
  /** Percentiles of the actual wait, seconds. */
  waitP50Seconds: number;
  waitP99Seconds: number;
}

/** An invariant the rehearsal checks; any `ok: false` makes the command exit non-zero. */
export interface InvariantResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface RehearsalSummary {
  version: 1;
  startedAt: string;
  finishedAt: string;
  target: string;
  /** The command line's settings, as given. */
  settings: {
    citizens: number;
    arrival: string;
    seed: number;
    durationSeconds: number | null;
    connections: number;
    maxInFlight: number;
    /** For replay profiles: the factor applied to the real night's numbers. */
    scale: number | null;
  };
  machine: string;
  /** CPU seconds used by the rehearsal itself and, when it could read them, by the server's processes. */
  cpu: { rehearsalSeconds: number; serverSeconds: number | null; wallSeconds: number };
  citizens: {
    simulated: number;
    verified: number;
    joined: number;
    admitted: number;
    booked: number;
    changed: number;
    cancelled: number;
    gaveUp: number;
    ineligible: number;
    /** Still waiting when the rehearsal ended. */
    stillWaiting: number;
  };
  /** Peak citizens waiting at once. */
  peakWaiting: number;
  /** Median admission rate while the line was admitting, per second. */
  admissionPerSecond: number;
  bookingsPerSecond: { median: number; peak: number };
  /** Verified citizens booked per hour at the measured booking rate. */
  bookedPerHour: number;
  endpoints: EndpointLatency[];
  /** Answers that were errors, by "status code" (e.g. "429 YEYAK_E_RATE_LIMITED"). */
  errorsByCode: Record<string, number>;
  eta: EtaAccuracy;
  /** Citizens admitted before someone who joined (after the opening) earlier than them. */
  fifoInversions: number;
  bots: BotResult[];
  timeline: TimelinePoint[];
  invariants: InvariantResult[];
  /** The server's fairness record for the campaign (GET /campaigns/{id}/fairness), when it answered. */
  fairness: unknown;
}
