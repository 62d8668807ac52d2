/**
 * The Redis store's codec: a line's state hash ⇄ QueueState and settings, and which failures of
 * Redis are an operating condition (busy) rather than a bug.
 */
import { YeyakError } from '../core/errors.ts';
import { defaultState, type QueueSettings, type QueueState } from './store.ts';

const SETTINGS_FIELDS = ['ratePerS', 'activeMax', 'paused', 'notice', 'powBits'] as const;

/** Settings as hash fields: notice as JSON, paused as '1'/'0'. */
export function settingsFields(patch: Partial<QueueSettings>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const f of SETTINGS_FIELDS) {
    const v = patch[f];
    if (v === undefined) continue;
    if (f === 'notice') fields.notice = JSON.stringify(v);
    else if (f === 'paused') fields.paused = v ? '1' : '0';
    else fields[f] = String(v);
  }
  return fields;
}

/** The state hash of an initialised line, read back; settings it lacks are the campaign's. */
export function stateOf(h: Record<string, string>, defaults: QueueSettings): QueueState {
  const base = defaultState(defaults);
  let notice = base.notice;
  if (h.notice !== undefined) {
    try {
      notice = JSON.parse(h.notice) as QueueState['notice'];
    } catch {
      notice = null;
    }
  }
  const seed = h.seed === undefined ? null : Number(h.seed);
  return {
    ratePerS: num(h.ratePerS, base.ratePerS),
    activeMax: num(h.activeMax, base.activeMax),
    paused: h.paused === undefined ? base.paused : h.paused === '1',
    notice,
    powBits: num(h.powBits, base.powBits),
    lastSeq: num(h.lastSeq, 0),
    preCount: num(h.preCount, 0),
    seqCeiling: num(h.seqCeil, 0),
    preCeiling: num(h.preCeil, 0),
    admittedUpTo: num(h.admittedUpTo, 0),
    shuffleSeed: seed,
    frozenPreCount: seed === null ? null : num(h.frozen, 0),
    observedRatePerS: num(h.observedRatePerS, 0),
    noShowRate: num(h.noShowRate, 0),
    admittedTotal: num(h.admittedTotal, 0),
    claimedTotal: num(h.claimedTotal, 0),
  };
}

/**
 * Redis being unreachable (connection closed, retries exhausted, timeouts) is an operating
 * condition — "busy, retry shortly" — not a bug. A Redis error reply (a script bug) and a
 * programming error stay what they are.
 */
export function unavailable(e: unknown): unknown {
  const programming = e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || e instanceof SyntaxError;
  if (e instanceof Error && e.name !== 'ReplyError' && !programming) {
    // No details to the client (they would name hosts); the cause stays on the error for logs.
    const busy = new YeyakError('YEYAK_E_BUSY');
    busy.cause = e;
    return busy;
  }
  return e;
}

function num(v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}
