import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { YeyakError } from '../core/errors.ts';
import type { PersonFacts } from '../campaigns/types.ts';
import { hashRrn, parseRrn } from '../eligibility/rrn.ts';
import { localDay } from '../campaigns/time.ts';

/** The five methods of August 2021. All are sandbox providers until a later issue. */
export const identityMethods = ['phone', 'naver', 'kakao', 'pass', 'certificate'] as const;
export type IdentityMethod = (typeof identityMethods)[number];

export const SANDBOX_CODE = '000000';
export const CODE_ATTEMPTS_MAX = 5;

export interface ChallengeInput {
  method: IdentityMethod;
  name: string;
  rrn: string;
  phone: string;
}

export interface VerifiedPerson {
  personId: number;
  facts: PersonFacts;
}

const PHONE_PATTERN = /^01[016789]-?\d{3,4}-?\d{4}$/;

function hashCode(challengeId: string, code: string): string {
  return createHash('sha256').update(challengeId).update(':').update(code).digest('hex');
}

export class IdentityService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly rrnSecret: string,
    private readonly challengeTtlMs: number,
    private readonly sandbox: boolean,
  ) {}

  /** Starts a verification. The RRN is parsed and hashed here and never leaves this function. */
  async start(input: ChallengeInput): Promise<{ challengeId: string; expiresAt: string }> {
    if (!this.sandbox) throw new YeyakError('YEYAK_E_IDENTITY_METHOD_UNKNOWN', 'No verification provider is configured.');
    const parsed = parseRrn(input.rrn);
    if (!parsed.ok) throw new YeyakError('YEYAK_E_RRN_INVALID', undefined, { reason: parsed.reason });
    // A birth date after today (in Korea) is a typo, not a person: 991231-3… would read as 2099.
    if (parsed.facts.birthDate > localDay(this.clock.now(), 'Asia/Seoul')) {
      throw new YeyakError('YEYAK_E_RRN_INVALID', undefined, { reason: 'FUTURE_DATE' });
    }
    if (!PHONE_PATTERN.test(input.phone)) throw new YeyakError('YEYAK_E_PHONE_INVALID');
    const challengeId = randomBytes(16).toString('base64url');
    const expiresAt = new Date(this.clock.nowMs() + this.challengeTtlMs);
    await this.db.query(
      `INSERT INTO identity_challenge (id, method, rrn_hash, birth_date, sex, foreign_resident, name, phone, code_hash, attempts_max, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        challengeId,
        input.method,
        hashRrn(parsed.normalized, this.rrnSecret),
        parsed.facts.birthDate,
        parsed.facts.sex,
        parsed.facts.foreignResident,
        input.name,
        input.phone.replaceAll('-', ''),
        hashCode(challengeId, SANDBOX_CODE),
        CODE_ATTEMPTS_MAX,
        expiresAt.toISOString(),
      ],
    );
    return { challengeId, expiresAt: expiresAt.toISOString() };
  }

  /**
   * Checks a code. The attempt is counted by one conditional UPDATE before the comparison, so
   * parallel guesses cannot exceed the limit.
   */
  async verify(challengeId: string, code: string): Promise<VerifiedPerson> {
    const now = this.clock.now().toISOString();
    const claimed = await this.db.query<{
      code_hash: string; rrn_hash: string; birth_date: string; sex: 'M' | 'F'; foreign_resident: boolean; name: string; phone: string;
    }>(
      `UPDATE identity_challenge SET attempts = attempts + 1
       WHERE id = $1 AND verified_at IS NULL AND expires_at > $2 AND attempts < attempts_max
       RETURNING code_hash, rrn_hash, birth_date, sex, foreign_resident, name, phone`,
      [challengeId, now],
    );
    const row = claimed.rows[0];
    if (!row) {
      const exists = await this.db.query<{ attempts: number; attempts_max: number }>(
        `SELECT attempts, attempts_max FROM identity_challenge WHERE id = $1 AND verified_at IS NULL AND expires_at > $2`,
        [challengeId, now],
      );
      const c = exists.rows[0];
      if (c && c.attempts >= c.attempts_max) throw new YeyakError('YEYAK_E_CHALLENGE_LOCKED');
      throw new YeyakError('YEYAK_E_CHALLENGE_NOT_FOUND');
    }
    const given = Buffer.from(hashCode(challengeId, code), 'hex');
    if (!timingSafeEqual(given, Buffer.from(row.code_hash, 'hex'))) throw new YeyakError('YEYAK_E_CODE_WRONG');

    const done = await this.db.query(
      `UPDATE identity_challenge SET verified_at = $2 WHERE id = $1 AND verified_at IS NULL RETURNING id`,
      [challengeId, now],
    );
    if (done.rows.length === 0) throw new YeyakError('YEYAK_E_CHALLENGE_NOT_FOUND');
    const person = await this.db.query<{ id: number }>(
      `INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (rrn_hash) DO UPDATE SET name = excluded.name, phone = excluded.phone
       RETURNING id`,
      [row.rrn_hash, row.birth_date, row.sex, row.foreign_resident, row.name, row.phone, now],
    );
    const personId = person.rows[0]?.id;
    if (personId === undefined) throw new Error('invariant violated: person upsert returned no id');
    return { personId, facts: { birthDate: row.birth_date, sex: row.sex, foreignResident: row.foreign_resident } };
  }
}
