/**
 * A person's own verification, settled in the database by ONE statement (one round trip, no
 * BEGIN/COMMIT): the synthetic registry binds the RRN to the CI, the person is upserted by CI
 * (name and phone refreshed), and the person's one-device lock is taken — or refused, when
 * another device holds it. What used to be six writes in two transactions and three more round
 * trips (the challenge row: insert, attempt, verified) is this; the challenge itself is a token
 * (challenge-token.ts) and its attempts live in the shared store (challenge-attempts.ts).
 *
 * The rules are those of registry.ts (bindings) and devices.ts (the lock), decided by the
 * database, never by a read before the write:
 * - resident_binding: INSERT … ON CONFLICT (rrn_hash) DO UPDATE … WHERE the bound CI is another
 *   — a new binding comes back with this CI, a binding to this CI not at all, one to another CI
 *   with that CI (the update is a no-op): the refusal. ON CONFLICT sees the latest committed
 *   binding, also one a concurrent verification committed while this one waited on it. A CI
 *   already bound to another RRN breaks the CI's unique key: 23505.
 * - person: as upsertPersonByCi with own = true (a row with no CI yet is adopted by its RRN; a
 *   CI whose row holds another RRN, or an RRN held by another CI's row → refused).
 * - the lock: as DeviceLock.take — free, expired or already this device's → this device's until
 *   now + lockMs; else left as it is, and the caller refuses with its unlock time.
 * Any refusal writes nothing but that no-op; a 23505 rolls the whole statement back.
 */
import type { Queryable } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import type { ConfirmedPerson } from './registry.ts';

/** The lock to take with the upsert; null: none (no device, or the rule is off). */
export interface LockRequest {
  device: string;
  untilMs: number;
  nowMs: number;
}

export type Settled = { personId: number; locked: true } | { personId: number; locked: false; lockedUntil: Date };

const UNIQUE_VIOLATION = '23505';

// $1 ci_hash, $2 rrn_hash, $3 birth_date, $4 sex, $5 foreign_resident, $6 name, $7 phone,
// $8 now, $9 device (NULL: no lock), $10 lock until, $11 now (for the lock).
const LOCK_FREE = (row: string) => `(${row}.device_lock_until IS NULL OR ${row}.device_lock_until <= $11::timestamptz OR ${row}.active_device = $9::text)`;
const TAKE = (row: string) => `$9::text IS NOT NULL AND ${LOCK_FREE(row)}`;

function settleSql(bindInDatabase: boolean): string {
  const binding = bindInDatabase
    ? `bound AS (
         INSERT INTO resident_binding (rrn_hash, ci_hash, bound_at) VALUES ($2, $1, $8)
         ON CONFLICT (rrn_hash) DO UPDATE SET bound_at = resident_binding.bound_at WHERE resident_binding.ci_hash <> excluded.ci_hash
         RETURNING ci_hash
       ), ok AS (SELECT NOT EXISTS (SELECT 1 FROM bound WHERE ci_hash <> $1) AS ok),`
    : 'ok AS (SELECT true AS ok),';
  return `WITH ${binding}
     adopted AS (
       UPDATE person SET ci_hash = $1, name = $6, phone = $7,
              active_device = CASE WHEN ${TAKE('person')} THEN $9::text ELSE active_device END,
              device_lock_until = CASE WHEN ${TAKE('person')} THEN $10::timestamptz ELSE device_lock_until END
        WHERE rrn_hash = $2 AND ci_hash IS NULL AND (SELECT ok FROM ok)
       RETURNING id, active_device, device_lock_until
     ), inserted AS (
       INSERT INTO person (ci_hash, rrn_hash, birth_date, sex, foreign_resident, name, phone, created_at, active_device, device_lock_until)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9::text, CASE WHEN $9::text IS NULL THEN NULL ELSE $10::timestamptz END
        WHERE (SELECT ok FROM ok) AND NOT EXISTS (SELECT 1 FROM adopted)
       ON CONFLICT (ci_hash) DO UPDATE SET name = excluded.name, phone = excluded.phone,
              active_device = CASE WHEN ${TAKE('person')} THEN excluded.active_device ELSE person.active_device END,
              device_lock_until = CASE WHEN ${TAKE('person')} THEN excluded.device_lock_until ELSE person.device_lock_until END
        WHERE person.rrn_hash = excluded.rrn_hash
       RETURNING id, active_device, device_lock_until
     )
     SELECT id, ($9::text IS NULL OR active_device = $9::text) AS locked, device_lock_until FROM adopted
     UNION ALL SELECT id, ($9::text IS NULL OR active_device = $9::text) AS locked, device_lock_until FROM inserted`;
}

const SETTLE_BINDING = settleSql(true);
const SETTLE = settleSql(false);

/**
 * Settles a verified person: `bindInDatabase` for the synthetic registry (its bindings are
 * resident_binding, bound here); otherwise the registry has already confirmed the RRN. Throws
 * 403 YEYAK_E_IDENTITY_MISMATCH when a key refuses; a lock held by another device comes back as
 * `locked: false` (the person row is still refreshed, as before the one statement).
 */
export async function settleOwnVerification(q: Queryable, p: ConfirmedPerson, now: Date, lock: LockRequest | null, bindInDatabase: boolean): Promise<Settled> {
  let rows: { id: number | string; locked: boolean; device_lock_until: Date | string | null }[];
  try {
    ({ rows } = await q.query(bindInDatabase ? SETTLE_BINDING : SETTLE, [
      p.ciHash, p.rrnHash, p.facts.birthDate, p.facts.sex, p.facts.foreignResident, p.name, p.phone, now.toISOString(),
      lock?.device ?? null, lock ? new Date(lock.untilMs).toISOString() : null, new Date(lock?.nowMs ?? now.getTime()).toISOString(),
    ]));
  } catch (e) {
    if ((e as { code?: unknown }).code === UNIQUE_VIOLATION) throw new YeyakError('YEYAK_E_IDENTITY_MISMATCH');
    throw e;
  }
  const row = rows[0];
  if (!row) throw new YeyakError('YEYAK_E_IDENTITY_MISMATCH');
  const personId = Number(row.id);
  if (row.locked) return { personId, locked: true };
  return { personId, locked: false, lockedUntil: new Date(row.device_lock_until ?? now) };
}
