/**
 * Who a person is. A verification provider answers with the verified identity — the CI
 * (연계정보), the same for one person at every provider — and the resident registry confirms
 * that a resident registration number (RRN) belongs to that person. yeyak keys a person by the
 * CI (hashed at rest with a keyed HMAC, never stored in clear), so one person typing other RRNs
 * is still one person, and is refused (403 YEYAK_E_IDENTITY_MISMATCH).
 *
 * The registry is an interface; the one built in is synthetic (the sandbox's): a phone is one
 * subscriber, so one CI (real phone verification vouches for the line's subscriber, whatever name
 * is typed), and an RRN is bound to the first CI that claims it — decided by the database
 * (resident_binding's two unique keys, one conditional INSERT), so two CIs racing for one RRN
 * cannot both win. A real registry adapter (the 행정안전부 real-name check behind a gateway)
 * implements the same interface.
 */
import { createHmac } from 'node:crypto';
import type { Queryable } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import type { PersonFacts } from '../rules/campaign.ts';

/**
 * Key of the synthetic CI. Not a secret: in the sandbox anyone may compute a CI from a name and
 * a phone (it stands in for the providers' shared CI key). Stored CIs are hashed with
 * YEYAK_RRN_SECRET on top (hashCi).
 */
const SANDBOX_CI_KEY = 'yeyak-sandbox-ci-v1';

/** Digits only: '010-1234-5678' and '01012345678' are one phone. */
export function normalizePhone(phone: string): string {
  return phone.replace(/\D/g, '');
}

/**
 * The sandbox's CI of the person verifying: a keyed hash of the phone (base64, 44 chars) — the
 * line's subscriber. Not of the name too: a name can be typed many ways (spaces, punctuation,
 * jamo, hanja), and each spelling would have been another person with another RRN and another
 * booking on one phone.
 */
export function sandboxCi(phone: string): string {
  return createHmac('sha256', SANDBOX_CI_KEY).update('phone\n').update(normalizePhone(phone)).digest('base64');
}

/** The CI as stored (person.ci_hash, resident_binding.ci_hash): keyed HMAC-SHA256, hex. */
export function hashCi(ci: string, secret: string): string {
  if (ci.length === 0) throw new RangeError('hashCi: empty CI');
  if (secret.length === 0) throw new RangeError('hashCi: secret must not be empty');
  return createHmac('sha256', secret).update('ci.').update(ci).digest('hex');
}

export interface RegistryClaim {
  /** hashCi of the verified CI. */
  ciHash: string;
  /** hashRrn of the RRN the person typed (or a proxy typed for them). */
  rrnHash: string;
  name: string;
  now: Date;
}

export interface ResidentRegistry {
  /**
   * Whether the RRN belongs to the person with this CI and name. `q` is the caller's transaction:
   * what the registry records (a binding) is rolled back with it.
   */
  confirm(claim: RegistryClaim, q: Queryable): Promise<boolean>;
}

/** The sandbox's registry: synthetic, deterministic, and its bindings live in the database. */
export class SyntheticResidentRegistry implements ResidentRegistry {
  /**
   * One conditional INSERT decides (both keys are unique: an RRN has one CI, a CI one RRN); the
   * read after it only reports what the database decided, in a fresh snapshot, so it also sees a
   * binding a concurrent transaction committed while this one waited on it.
   */
  async confirm(claim: RegistryClaim, q: Queryable): Promise<boolean> {
    await q.query(
      'INSERT INTO resident_binding (rrn_hash, ci_hash, bound_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [claim.rrnHash, claim.ciHash, claim.now.toISOString()],
    );
    const bound = await q.query<{ rrn_hash: string; ci_hash: string }>(
      'SELECT rrn_hash, ci_hash FROM resident_binding WHERE rrn_hash = $1 OR ci_hash = $2',
      [claim.rrnHash, claim.ciHash],
    );
    return bound.rows.length === 1 && bound.rows[0]?.rrn_hash === claim.rrnHash && bound.rows[0].ci_hash === claim.ciHash;
  }
}

/** A person the registry confirmed: their CI and RRN (both hashed) and what the rules need. */
export interface ConfirmedPerson {
  ciHash: string;
  rrnHash: string;
  facts: PersonFacts;
  name: string;
  /** Digits only. */
  phone: string;
}

const UNIQUE_VIOLATION = '23505';

/**
 * The person's id, keyed by the CI; one statement. `own`: the person verified themselves, so
 * their name and phone are refreshed; otherwise (proxy, agent) a known person's own data is kept
 * (someone else must not redirect their notifications).
 *
 * A row with no CI yet (ci_hash NULL: a proxy or agent booking made it for someone not yet
 * verified) is adopted by the first CI the registry confirmed for its RRN. A CI whose row holds
 * another RRN, or an RRN held by another CI's row, answers 403 YEYAK_E_IDENTITY_MISMATCH (the
 * unique keys decide, never a read before the write).
 */
export async function upsertPersonByCi(q: Queryable, p: ConfirmedPerson, now: Date, own: boolean): Promise<number> {
  const refresh = own ? 'name = excluded.name, phone = excluded.phone' : 'ci_hash = person.ci_hash';
  let rows: { id: number }[];
  try {
    ({ rows } = await q.query<{ id: number }>(
      `WITH adopted AS (
         UPDATE person SET ci_hash = $1${own ? ', name = $6, phone = $7' : ''}
          WHERE rrn_hash = $2 AND ci_hash IS NULL
         RETURNING id
       ), inserted AS (
         INSERT INTO person (ci_hash, rrn_hash, birth_date, sex, foreign_resident, name, phone, created_at)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE NOT EXISTS (SELECT 1 FROM adopted)
         ON CONFLICT (ci_hash) DO UPDATE SET ${refresh} WHERE person.rrn_hash = excluded.rrn_hash
         RETURNING id
       )
       SELECT id FROM adopted UNION ALL SELECT id FROM inserted`,
      [p.ciHash, p.rrnHash, p.facts.birthDate, p.facts.sex, p.facts.foreignResident, p.name, p.phone, now.toISOString()],
    ));
  } catch (e) {
    if ((e as { code?: unknown }).code === UNIQUE_VIOLATION) throw new YeyakError('YEYAK_E_IDENTITY_MISMATCH');
    throw e;
  }
  const id = rows[0]?.id;
  if (id === undefined) throw new YeyakError('YEYAK_E_IDENTITY_MISMATCH');
  return Number(id);
}

/** Confirms the RRN with the registry and upserts the person by CI, in one transaction of `q`. */
export async function confirmPerson(q: Queryable, residents: ResidentRegistry, p: ConfirmedPerson, now: Date, own: boolean): Promise<number> {
  if (!(await residents.confirm({ ciHash: p.ciHash, rrnHash: p.rrnHash, name: p.name, now }, q))) {
    throw new YeyakError('YEYAK_E_IDENTITY_MISMATCH');
  }
  return upsertPersonByCi(q, p, now, own);
}
