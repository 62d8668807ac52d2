import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { isYeyakError, YeyakError } from '../core/errors.ts';
import type { PersonFacts } from '../campaigns/types.ts';
import { hashRrn, parseRrn } from '../eligibility/rrn.ts';
import { localDay } from '../campaigns/time.ts';
import type { ProviderRegistry } from './providers/registry.ts';
import { isIdentityMethod, type CheckOutcome, type IdentityMethod } from './providers/types.ts';
import type { DeviceLock } from './devices.ts';

/** The five methods of August 2021 (defined with the providers; re-exported for old importers). */
export { identityMethods, SANDBOX_CODE, type IdentityMethod } from './providers/types.ts';

export const CODE_ATTEMPTS_MAX = 5;
/**
 * identity_challenge.code_hash predates the providers: the code is now judged by the method's
 * provider, never compared here. The column keeps this marker until a migration drops it.
 */
const CODE_CHECKED_BY_PROVIDER = 'provider';

export interface ChallengeInput {
  method: IdentityMethod;
  name: string;
  rrn: string;
  phone: string;
  /** The campaign being booked (optional): a queue-first campaign then needs its admission pass. */
  campaignId?: string;
}

export interface VerifiedPerson {
  personId: number;
  facts: PersonFacts;
}

const PHONE_PATTERN = /^01[016789]-?\d{3,4}-?\d{4}$/;

export class IdentityService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly rrnSecret: string,
    private readonly challengeTtlMs: number,
    private readonly providers: ProviderRegistry,
    /** One device at a time; absent: no lock (tools, benchmarks). */
    private readonly devices?: DeviceLock,
  ) {}

  /**
   * The rate-limit key of a person: the RRN's keyed hash (never the RRN), or of the raw input
   * when it does not parse (still hashed: the input may be a real RRN with a typo).
   */
  personKey(rrn: string): string {
    const parsed = parseRrn(rrn);
    if (parsed.ok) return hashRrn(parsed.normalized, this.rrnSecret);
    return createHmac('sha256', this.rrnSecret).update('unparsed.').update(rrn).digest('hex');
  }

  /**
   * Starts a verification: the method's provider sends the code or the push, then the challenge
   * is stored (one INSERT; the provider call is never inside a transaction). The RRN is parsed and
   * hashed here and never leaves this function: the provider gets name, birth date and phone.
   */
  async start(input: ChallengeInput): Promise<{ challengeId: string; expiresAt: string }> {
    const provider = this.providers.get(input.method);
    if (!provider) throw new YeyakError('YEYAK_E_IDENTITY_METHOD_UNKNOWN', 'No verification provider is configured for this method.');
    const parsed = parseRrn(input.rrn);
    if (!parsed.ok) throw new YeyakError('YEYAK_E_RRN_INVALID', undefined, { reason: parsed.reason });
    // A birth date after today (in Korea) is a typo, not a person: 991231-3… would read as 2099.
    if (parsed.facts.birthDate > localDay(this.clock.now(), 'Asia/Seoul')) {
      throw new YeyakError('YEYAK_E_RRN_INVALID', undefined, { reason: 'FUTURE_DATE' });
    }
    if (!PHONE_PATTERN.test(input.phone)) throw new YeyakError('YEYAK_E_PHONE_INVALID');
    const challengeId = randomBytes(16).toString('base64url');
    const phone = input.phone.replaceAll('-', '');
    await provider.start({ transactionId: challengeId, method: input.method, name: input.name, birthDate: parsed.facts.birthDate, phone });
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
        phone,
        CODE_CHECKED_BY_PROVIDER,
        CODE_ATTEMPTS_MAX,
        expiresAt.toISOString(),
      ],
    );
    return { challengeId, expiresAt: expiresAt.toISOString() };
  }

  /**
   * Checks a code with the method's provider. The attempt is counted by one conditional UPDATE
   * before the provider is asked, so parallel guesses cannot exceed the limit; an attempt the
   * provider did not judge (unavailable, approval still pending) is given back.
   */
  async verify(challengeId: string, code: string, device?: string): Promise<VerifiedPerson> {
    const now = this.clock.now().toISOString();
    const claimed = await this.db.query<{
      method: string; birth_date: string; sex: 'M' | 'F'; foreign_resident: boolean;
    }>(
      `UPDATE identity_challenge SET attempts = attempts + 1
       WHERE id = $1 AND verified_at IS NULL AND expires_at > $2 AND attempts < attempts_max
       RETURNING method, birth_date, sex, foreign_resident`,
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
    const method: IdentityMethod | null = isIdentityMethod(row.method) ? row.method : null;
    const provider = method ? this.providers.get(method) : undefined;
    if (!method || !provider) {
      await this.giveBackAttempt(challengeId);
      throw new YeyakError('YEYAK_E_IDENTITY_UNAVAILABLE', 'This verification method is no longer offered; start again with another.', { method: row.method, reason: 'not-configured' });
    }
    let outcome: CheckOutcome;
    try {
      outcome = await provider.check({ transactionId: challengeId, method, code });
    } catch (e) {
      if (isYeyakError(e) && e.code === 'YEYAK_E_IDENTITY_UNAVAILABLE') await this.giveBackAttempt(challengeId);
      throw e;
    }
    if (outcome === 'pending') {
      await this.giveBackAttempt(challengeId);
      throw new YeyakError('YEYAK_E_IDENTITY_PENDING', undefined, { method });
    }
    if (outcome === 'expired') throw new YeyakError('YEYAK_E_CHALLENGE_NOT_FOUND');
    if (outcome !== 'verified') throw new YeyakError('YEYAK_E_CODE_WRONG');

    // Marking the challenge verified and upserting the person is one statement (one round trip,
    // atomic): a challenge verified twice in parallel yields one person, the loser gets NOT_FOUND.
    const person = await this.db.query<{ id: number }>(
      `WITH done AS (
         UPDATE identity_challenge SET verified_at = $2 WHERE id = $1 AND verified_at IS NULL
         RETURNING rrn_hash, birth_date, sex, foreign_resident, name, phone
       )
       INSERT INTO person (rrn_hash, birth_date, sex, foreign_resident, name, phone, created_at)
       SELECT rrn_hash, birth_date, sex, foreign_resident, name, phone, $2 FROM done
       ON CONFLICT (rrn_hash) DO UPDATE SET name = excluded.name, phone = excluded.phone
       RETURNING id`,
      [challengeId, now],
    );
    const personId = person.rows[0]?.id;
    if (personId === undefined) throw new YeyakError('YEYAK_E_CHALLENGE_NOT_FOUND');
    // One device at a time: one conditional UPDATE takes the person's lock or refuses.
    if (this.devices && device !== undefined) await this.devices.take(personId, device);
    return { personId, facts: { birthDate: row.birth_date, sex: row.sex, foreignResident: row.foreign_resident } };
  }

  private async giveBackAttempt(challengeId: string): Promise<void> {
    await this.db.query('UPDATE identity_challenge SET attempts = attempts - 1 WHERE id = $1 AND verified_at IS NULL AND attempts > 0', [challengeId]);
  }
}
