import type { Clock } from '../core/clock.ts';
import type { Db, Queryable } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import type { PersonFacts } from '../campaigns/types.ts';
import { localDay } from '../campaigns/time.ts';
import { hashRrn, parseRrn } from '../eligibility/rrn.ts';
import { confirmPerson, hashCi, type ResidentRegistry } from '../identity/registry.ts';

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

const PHONE_PATTERN = /^01[016789]-?\d{3,4}-?\d{4}$/;

export interface ParsedPerson {
  rrnHash: string;
  facts: PersonFacts;
  name: string;
  phone: string;
}

/** Validates a named person; pure (no write). The RRN leaves as its keyed hash only. */
export function parsePerson(p: NamedPerson, rrnSecret: string, clock: Clock): ParsedPerson {
  const parsed = parseRrn(p.rrn);
  if (!parsed.ok) throw new YeyakError('YEYAK_E_RRN_INVALID', undefined, { reason: parsed.reason });
  if (parsed.facts.birthDate > localDay(clock.now(), 'Asia/Seoul')) {
    throw new YeyakError('YEYAK_E_RRN_INVALID', undefined, { reason: 'FUTURE_DATE' });
  }
  if (!PHONE_PATTERN.test(p.phone)) throw new YeyakError('YEYAK_E_PHONE_INVALID');
  return { rrnHash: hashRrn(parsed.normalized, rrnSecret), facts: parsed.facts, name: p.name, phone: p.phone.replaceAll('-', '') };
}

/** Who stands behind a named person: the resident registry, and the key CIs are hashed with. */
export interface PersonDirectory {
  residents: ResidentRegistry;
  /** YEYAK_RRN_SECRET: the key of RRN and CI hashes. */
  rrnSecret: string;
}

/**
 * The person's id, by the same rule as verification (identity/registry.ts): the registry gives
 * the CI of the name and phone, and must confirm the RRN is that CI's — else 403
 * YEYAK_E_IDENTITY_MISMATCH (a proxy typing someone's RRN with another person's name or phone).
 * The row is keyed by the CI, so the beneficiary who verifies later is this same row. Created
 * when new, in one transaction; an existing person's name and phone are NOT overwritten: they
 * are the person's own (verified) data, and a proxy or agent must not redirect their
 * notifications.
 */
export async function upsertPerson(db: Db, directory: PersonDirectory, p: ParsedPerson, now: Date): Promise<number> {
  const ci = await directory.residents.identify({ name: p.name, phone: p.phone });
  if (ci === null) throw new YeyakError('YEYAK_E_IDENTITY_MISMATCH');
  const ciHash = hashCi(ci, directory.rrnSecret);
  return db.transaction((tx) => confirmPerson(tx, directory.residents, { ciHash, rrnHash: p.rrnHash, facts: p.facts, name: p.name, phone: p.phone }, now, false));
}

/** The person's id by RRN hash, or null (read only). */
export async function findPersonId(q: Queryable, rrnHash: string): Promise<number | null> {
  const r = await q.query<{ id: number }>('SELECT id FROM person WHERE rrn_hash = $1', [rrnHash]);
  const id = r.rows[0]?.id;
  return id === undefined ? null : Number(id);
}
