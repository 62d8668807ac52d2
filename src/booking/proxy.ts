import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { assert, YeyakError } from '../core/errors.ts';
import type { PersonFacts } from '../rules/campaign.ts';
import { hashRrn } from '../rules/rrn.ts';
import { checkPersonInput } from '../rules/person-input.ts';
import { normalizeName } from '../rules/names.ts';

/**
 * How many people one proxy may hold bookings for in one campaign. The database enforces it
 * (proxy_quota, migrations/006_proxies_staff.sql): the value is stored with the proxy's row.
 */
export const PROXY_PEOPLE_MAX = 4;

/** Relationships a proxy may state (recorded in the audit row). */
export const proxyRelationships = ['parent', 'grandparent', 'spouse', 'child', 'sibling', 'relative', 'guardian', 'other'] as const;
export type ProxyRelationship = (typeof proxyRelationships)[number];

/** A person named by someone else: a proxy (onBehalfOf) or a call-centre agent. */
export interface NamedPerson {
  name: string;
  rrn: string;
  phone: string;
}

export interface OnBehalfOf extends NamedPerson {
  relationship: ProxyRelationship;
}


export interface ParsedPerson {
  rrnHash: string;
  facts: PersonFacts;
  name: string;
  phone: string;
}

/** Validates a named person; pure (no write). The RRN leaves as its keyed hash only. */
export function parsePerson(p: NamedPerson, rrnSecret: string, clock: Clock): ParsedPerson {
  const checked = checkPersonInput(p, clock.now());
  return { rrnHash: hashRrn(checked.rrn, rrnSecret), facts: checked.facts, name: p.name, phone: checked.phone };
}

/**
 * The person's id for someone who is not present — a proxy's beneficiary, an agent's caller —
 * found by their RRN, in one statement. Nobody vouched for them, so this path never binds an RRN
 * to an identity (a CI): that would let anyone who knows an RRN tie it to a made-up name and
 * phone, and lock the real person out of verifying (and of seeing the booking made in their
 * name). A new person is created with no CI, keyed by the RRN; when they verify themselves, the
 * registry confirms their RRN and the row is adopted by their CI (identity/registry.ts), booking
 * and all. A known person must be named as they are known (another name → 403
 * YEYAK_E_IDENTITY_MISMATCH), and their own name and phone are never overwritten: a proxy or
 * agent must not redirect their notifications.
 */
export async function upsertPerson(db: Db, p: ParsedPerson, now: Date): Promise<number> {
  const r = await db.query<{ id: number; name: string }>(
    `WITH inserted AS (
       INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (rrn_hash) DO NOTHING
       RETURNING id, name
     )
     SELECT id, name FROM inserted
     UNION ALL
     SELECT id, name FROM person WHERE rrn_hash = $1 AND NOT EXISTS (SELECT 1 FROM inserted)`,
    [p.rrnHash, p.facts.birthDate, p.facts.sex, p.facts.foreignResident, p.name, p.phone, now.toISOString()],
  );
  const row = r.rows[0];
  assert(row, 'a person neither inserted nor found by RRN');
  if (normalizeName(row.name) !== normalizeName(p.name)) throw new YeyakError('YEYAK_E_IDENTITY_MISMATCH');
  return Number(row.id);
}
