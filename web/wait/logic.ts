/**
 * The waiting page's rules, pure (no DOM, no clock, no storage): the place kept with the ticket
 * and the progress made since joining, when to ask again, when to tell a screen reader, and when
 * a closed campaign's waiting room is worth trying again. The caller gives the time and the dice.
 */

/** What localStorage `yeyak.ticket.<c>` keeps: the ticket and where the person started from. */
export interface Place {
  ticket: string;
  /** The place in line the ticket stood for when last seen (null before the opening draw). */
  position: number | null;
  /** People ahead when this place was first seen with a known position: progress starts there. */
  aheadAtStart: number | null;
}

/** A stored place, or null for anything else (a foreign value, an old format, a bare ticket). */
export function parsePlace(raw: string | null): Place | null {
  if (!raw) return null;
  if (!raw.startsWith('{')) return { ticket: raw, position: null, aheadAtStart: null };
  try {
    const v = JSON.parse(raw) as Partial<Place>;
    if (typeof v.ticket !== 'string' || v.ticket === '') return null;
    const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : null);
    return { ticket: v.ticket, position: n(v.position), aheadAtStart: n(v.aheadAtStart) };
  } catch {
    return null;
  }
}

/**
 * The place after an answer. Progress counts from the first answer with a known position (the
 * pre-queue's count only grows until the draw); a new position (a new place at the back, after a
 * lapsed or spent one) starts again; more people ahead than at the start cannot be progress.
 */
export function nextPlace(prev: Place | null, ticket: string, answer: { ahead: number; position: number | null }): Place {
  const { ahead, position } = answer;
  if (position === null) return { ticket, position: null, aheadAtStart: null };
  const samePlace = prev !== null && prev.position === position && prev.aheadAtStart !== null;
  const start = samePlace ? Math.max(prev.aheadAtStart as number, ahead) : ahead;
  return { ticket, position, aheadAtStart: start };
}

/** How far the person has come since joining, 0–100 (whole per cent): 1 − ahead / aheadAtStart. */
export function progressPercent(ahead: number, aheadAtStart: number | null): number | null {
  if (aheadAtStart === null) return null;
  if (aheadAtStart <= 0) return 100;
  const done = 1 - Math.min(ahead, aheadAtStart) / aheadAtStart;
  return Math.max(0, Math.min(100, Math.floor(done * 100)));
}

export const POLL_MIN_MS = 1_000; // never faster than a second, whatever an answer says
export const POLL_MAX_MS = 5 * 60_000; // a sane ceiling on a told delay
export const BACKOFF_BASE_MS = 2_000; // first retry after a failure: 1–2 s…
export const BACKOFF_MAX_MS = 60_000; // …doubling up to a minute
export const REQUEST_TIMEOUT_MS = 15_000; // an answer that takes longer is a failure

/** The delay the server asked for (`pollAfterMs`), kept within sane bounds. */
export function pollDelayMs(pollAfterMs: number): number {
  const told = Number.isFinite(pollAfterMs) ? pollAfterMs : POLL_MIN_MS;
  return Math.min(POLL_MAX_MS, Math.max(POLL_MIN_MS, told));
}

/**
 * After the n-th failure in a row (n ≥ 1): exponential with jitter (half to all of the step), and
 * never sooner than the server's Retry-After (spread by up to 20 % so a million phones told the
 * same second do not come back in the same second).
 */
export function backoffMs(failures: number, retryAfterS: number | null, random: number): number {
  const step = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(failures, 16) - 1));
  const jittered = step * (0.5 + random / 2);
  const told = retryAfterS !== null && retryAfterS > 0 ? retryAfterS * 1000 * (1 + random / 5) : 0;
  return Math.round(Math.max(jittered, told));
}

export const ANNOUNCE_GAP_MS = 30_000; // a count is spoken at most every 30 s…
export const ANNOUNCE_CHANGE = 0.1; // …and only when it moved by 10 % (or at least one person)

export interface Announced {
  /** What the person is told besides the count: state, pause, notice. A change is always spoken. */
  key: string;
  ahead: number;
  atMs: number;
}

/**
 * Whether to speak now (aria-live="polite"): any change of state or notice at once; the count
 * only after a quiet gap and a real move, so a screen reader is not talked over every second.
 */
export function shouldAnnounce(last: Announced | null, key: string, ahead: number, nowMs: number): boolean {
  if (last === null || last.key !== key) return true;
  if (ahead === last.ahead || nowMs - last.atMs < ANNOUNCE_GAP_MS) return false;
  return Math.abs(ahead - last.ahead) >= Math.max(1, last.ahead * ANNOUNCE_CHANGE);
}

export const REOPEN_SPREAD_MAX_MS = 5 * 60_000; // joins after a closed answer spread over ≤ 5 min
export const REOPEN_CHECK_MAX_MS = 60 * 60_000; // a far opening is re-checked hourly (timers drift)
export const REOPEN_CHECK_MIN_MS = 5_000;

/**
 * When to try joining again after YEYAK_E_CAMPAIGN_CLOSED {opensAt, joinFrom}, or null when it
 * never reopens. Spread after `joinFrom` (everyone who joins before the opening is drawn at
 * random, so arriving a few minutes later costs nothing) — never past the opening itself.
 */
export function reopenDelayMs(details: { opensAt?: unknown; joinFrom?: unknown } | null, nowMs: number, random: number): number | null {
  const joinFrom = typeof details?.joinFrom === 'string' ? Date.parse(details.joinFrom) : NaN;
  if (!Number.isFinite(joinFrom)) return null;
  const opensAt = typeof details?.opensAt === 'string' ? Date.parse(details.opensAt) : NaN;
  const room = Number.isFinite(opensAt) ? Math.max(0, (opensAt - joinFrom) / 4) : 0;
  const target = joinFrom + random * Math.min(REOPEN_SPREAD_MAX_MS, room);
  return Math.min(REOPEN_CHECK_MAX_MS, Math.max(REOPEN_CHECK_MIN_MS, Math.round(target - nowMs)));
}

/** A wait in whole hours and minutes, rounded up to the minute; null under a minute. */
export function splitDuration(seconds: number): { hours: number; minutes: number } | null {
  if (!(seconds >= 60)) return null;
  const minutes = Math.ceil(seconds / 60);
  return { hours: Math.floor(minutes / 60), minutes: minutes % 60 };
}

/** Leading zero bits of a hash (the proof of work's measure, as src/waiting-room/pow.ts counts). */
export function leadingZeroBits(hash: Uint8Array): number {
  let bits = 0;
  for (const byte of hash) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

/** The chance a solver has found an answer after `tries` (shown as its progress), 0–99 %. */
export function powPercent(tries: number, bits: number): number {
  return Math.min(99, Math.floor(100 * (1 - Math.exp(-tries / 2 ** bits))));
}
