/**
 * Retries keyed by PostgreSQL error code: only errors that a second attempt can cure, bounded and
 * jittered so that colliding transactions do not collide again in lockstep.
 */
const RETRYABLE_SQLSTATES: Record<string, string> = {
  '40001': 'serialization_failure',
  '40P01': 'deadlock_detected',
  '55P03': 'lock_not_available',
};

export const retryAttemptsMax = 5;
const retryBaseDelayMs = 5; // doubled each attempt, plus up to 100 % jitter

export function isRetryableDbError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code in RETRYABLE_SQLSTATES;
}

export async function withDbRetry<T>(fn: () => Promise<T>, random: () => number = Math.random): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isRetryableDbError(e) || attempt >= retryAttemptsMax) throw e;
      const delayMs = retryBaseDelayMs * 2 ** (attempt - 1) * (1 + random());
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
