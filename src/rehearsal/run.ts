/**
 * `yeyak rehearse`: simulated citizens end to end against a real server, over HTTP only.
 * Skeleton (issue #10): the signature is fixed, the body lands next.
 */
import type { RehearsalSummary } from './summary.ts';
import type { RehearsalOptions } from './options.ts';

export type { RehearsalOptions } from './options.ts';

/** Runs one rehearsal and returns what it found; `summary.invariants` says whether it passed. */
export async function runRehearsal(options: Partial<RehearsalOptions> & { citizens: number }): Promise<RehearsalSummary> {
  void options;
  throw new Error('runRehearsal: not yet implemented');
}

/** True when every invariant held (the CLI's exit code follows it). */
export function rehearsalPassed(summary: RehearsalSummary): boolean {
  return summary.invariants.every((i) => i.ok);
}
