/**
 * Pure answers for a waiting citizen: wait estimate and when to ask again. In 2021 the screen
 * showed 47 to 167+ hours; these come from the admission rate actually observed, with a range.
 */
export const POLL_NEAR_MS = 1_000; // near the front: ask every second…
export const POLL_FAR_MS = 30_000; // …far back: every 30 s at most
const RANGE_SLACK = 0.25; // ±25 % on the rate gives the low/high range

export interface Estimate {
  etaSeconds: number;
  etaLowSeconds: number;
  etaHighSeconds: number;
  pollAfterMs: number;
}

/**
 * @param ahead people ahead (≥ 0)
 * @param ratePerS smoothed observed admission rate, or the target rate before any is observed
 * @param jitterSeed spreads polls of people at the same distance (e.g. the ticket's seq)
 * @param startsInS seconds until the line starts moving (the opening); 0 once it has
 */
export function estimateWait(ahead: number, ratePerS: number, jitterSeed: number, startsInS = 0): Estimate {
  const rate = Math.max(ratePerS, 0.01); // never divide by zero: a paused line still answers
  const wait = Math.max(0, startsInS);
  const eta = wait + ahead / rate;
  // Near the front: within two seconds of admission. A pre-queue ten minutes before the opening
  // is not near, however short it is — it must not poll every second until then.
  const near = eta <= 2;
  // A quarter of the remaining wait, between 1.5 s and 30 s; 1–2 s within two seconds of the front.
  const base = near ? POLL_NEAR_MS : Math.min(POLL_FAR_MS, Math.max(1_500, (eta * 1000) / 4));
  const jitter = 1 + (((jitterSeed * 2654435761) >>> 0) % 1000) / 1000 / (near ? 1 : 5); // near: 1–2 s; far: +0–20 %
  return {
    etaSeconds: Math.ceil(eta),
    etaLowSeconds: Math.floor(wait + ahead / (rate * (1 + RANGE_SLACK))),
    etaHighSeconds: Math.ceil(wait + ahead / (rate * (1 - RANGE_SLACK))),
    pollAfterMs: Math.min(POLL_FAR_MS, Math.round(base * jitter)),
  };
}

/** Exponentially weighted moving average with a time constant, for irregular samples. */
export function ewma(previous: number, sample: number, dtMs: number, tauMs: number): number {
  const alpha = 1 - Math.exp(-Math.max(dtMs, 0) / tauMs);
  return previous + alpha * (sample - previous);
}
