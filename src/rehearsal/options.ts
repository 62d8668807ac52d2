/**
 * The settings of one rehearsal (`yeyak rehearse`, or runRehearsal from a test or the fault
 * suite). Plain data; every field but `citizens` has a default (defaults below).
 */
export type Arrival = { kind: 'burst' } | { kind: 'poisson'; ratePerS: number } | { kind: 'replay'; night: '2021-08-09' };

export interface RehearsalOptions {
  /** The server's base URL (no /api/v1); null: start an embedded server in a child process. */
  target: string | null;
  citizens: number;
  arrival: Arrival;
  seed: number;
  /** Stop after this many seconds (citizens still in line then count as still waiting); null: until every citizen is done. */
  durationSeconds: number | null;
  /** HTTP connections to the target (one undici Pool). */
  connections: number;
  /** Requests in flight at once; more due requests wait (and their latency grows). */
  maxInFlight: number;
  /** Where summary.json and report.html go; null: write nothing. */
  outDir: string | null;
  campaignId: string;
  /** Replay: the factor applied to the real night's numbers; null: chosen to fit `citizens`. */
  scale: number | null;
  /** Server processes whose CPU is read from /proc (null: found from the target's port when local). */
  serverPids: number[] | null;
  /** An operator token for the target (admin API: admission rate, proof of work); optional. */
  adminToken: string | null;
  /** Live progress on stderr (a bar and a summary line). */
  progress: boolean;
  /** Bookings read back at the end (GET /reservations/{n}); at most this many, sampled. */
  readBackMax: number;
}

export const REHEARSAL_DEFAULTS = {
  citizens: 100_000,
  seed: 1,
  connections: 64,
  maxInFlight: 512,
  campaignId: 'korea-2021-08',
  readBackMax: 5_000,
} as const;

/** burst | poisson:RATE | replay:2021-08-09 */
export function parseArrival(text: string): Arrival {
  if (text === 'burst') return { kind: 'burst' };
  const poisson = /^poisson:(\d+(?:\.\d+)?)$/.exec(text);
  if (poisson && Number(poisson[1]) > 0) return { kind: 'poisson', ratePerS: Number(poisson[1]) };
  if (text === 'replay:2021-08-09') return { kind: 'replay', night: '2021-08-09' };
  throw new RangeError(`--arrival: burst, poisson:RATE (per second, > 0) or replay:2021-08-09, got ${JSON.stringify(text)}`);
}

export function arrivalText(a: Arrival): string {
  return a.kind === 'burst' ? 'burst' : a.kind === 'poisson' ? `poisson:${a.ratePerS}` : `replay:${a.night}`;
}
