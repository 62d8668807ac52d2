/**
 * When to try a failed notice again: exponential in the tries so far, capped, with "equal
 * jitter" — uniformly between half the step and the whole step — so rows that failed together
 * (a provider outage) do not come back together, and no retry comes sooner than half its step.
 */
export const BACKOFF_BASE_MS = 5_000; // the first retry 2.5–5 s after the first failure
export const BACKOFF_CAP_MS = 60 * 60_000; // 1 h: a step never grows past this

/** The step after `attempts` failed tries (1 = the first failure): base × 2^(attempts−1), capped. */
export function backoffStepMs(attempts: number, baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS): number {
  const exponent = Math.min(Math.max(attempts, 1) - 1, 30); // 2^30 × base is past any cap
  return Math.min(capMs, baseMs * 2 ** exponent);
}

/** The delay before the next try; `random` in [0, 1). Always in [step/2, step]. */
export function backoffDelayMs(attempts: number, random: () => number, baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS): number {
  const step = backoffStepMs(attempts, baseMs, capMs);
  const half = step / 2;
  return Math.round(half + random() * half);
}
