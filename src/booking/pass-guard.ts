/**
 * The waiting-room pass around a booking-path write (book, change, cancel): checked, taken for
 * the one write, then spent or given back. The booking API checks admission itself: the client's
 * queue is never trusted.
 */
import { DbError } from '../core/db-errors.ts';
import { YeyakError } from '../core/errors.ts';
import type { Campaign } from '../rules/campaign.ts';
import type { GateUse, Holder, PassGate } from './ports.ts';

/** What a booking-path write carries for the waiting room's gate. */
export interface Access {
  pass: string | undefined;
  holder: Holder;
}

/**
 * A valid pass is taken for this one write (PassGate.beginUse, atomic in the line's store): one
 * write at a time per pass (409 PASS_IN_USE), bound to the first person who uses it (403
 * WRONG_HOLDER). Null where the campaign has no queue (or no gate is wired).
 */
export async function admit(gate: PassGate | null, c: Campaign, access: Access, personId: number): Promise<GateUse | null> {
  if (!c.queueEnabled || !gate) return null;
  const pass = await gate.checkPass(c.id, access.pass, access.holder);
  return gate.beginUse(pass, personId);
}

/**
 * Runs a write under its pass: the pass is spent when the write commits, and given back when the
 * write is refused (a catalogue error, a full booking queue among them: nothing committed) so
 * that the citizen can pick another date with it while it lives — and when the database answered
 * with an error (a SQLSTATE: its transaction rolled back, nothing committed). Any other failure (a
 * dropped connection, whose COMMIT may or may not have happened) leaves the outcome unknown: the
 * pass stays taken until its lease ends; a retry with the same Idempotency-Key still gets the
 * stored answer meanwhile (book).
 */
export async function underPass<T>(gate: PassGate | null, use: GateUse | null, write: () => Promise<T>): Promise<T> {
  if (!use || !gate) return write();
  let result: T;
  try {
    result = await write();
  } catch (e) {
    // A store that cannot take the release now loses nothing: the lease ends by itself.
    if (e instanceof YeyakError || rolledBack(e)) await gate.endUse(use).catch(() => undefined);
    throw e;
  }
  await gate.revoke(use.pass);
  return result;
}

/**
 * A server's error (a SQLSTATE with a severity, not a driver's connection error): the server
 * refused the statement, so its transaction rolled back and nothing committed.
 */
function rolledBack(e: unknown): boolean {
  return e instanceof DbError && e.severity !== undefined && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
}
