import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { isYeyakError, YeyakError } from '../core/errors.ts';
import type { PersonFacts } from '../rules/campaign.ts';
import { hashRrn, rrnPhoneKey, sexDigitOf } from '../rules/rrn.ts';
import { checkPersonInput } from '../rules/person-input.ts';
import type { ProviderRegistry } from './providers/registry.ts';
import { isIdentityMethod, type CheckOutcome, type IdentityMethod, type VerifiedIdentity } from './providers/types.ts';
import { confirmPerson, hashCi, type ResidentRegistry } from './registry.ts';
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


export class IdentityService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly rrnSecret: string,
    private readonly challengeTtlMs: number,
    private readonly providers: ProviderRegistry,
    /** Confirms that the typed RRN belongs to the verified identity (registry.ts). */
    private readonly residents: ResidentRegistry,
    /** One device at a time; absent: no lock (tools, benchmarks). */
    private readonly devices?: DeviceLock,
  ) {}

  /**
   * The rate-limit key of an identity start: the RRN and the phone together, keyed-hashed (never
   * the RRN). Not the RRN alone: a stranger must not lock a person out by starting with their RRN.
   */
  personKey(rrn: string, phone: string): string {
    return rrnPhoneKey(rrn, phone, this.rrnSecret);
  }

  /**
   * Starts a verification: the method's provider sends the code or the push, then the challenge
   * is stored (one INSERT; the provider call is never inside a transaction). The RRN is parsed and
   * hashed here and never leaves this function: the provider gets name, birth date, the sex digit
   * and phone.
   */
  async start(input: ChallengeInput): Promise<{ challengeId: string; expiresAt: string }> {
    const provider = this.providers.get(input.method);
    if (!provider) throw new YeyakError('YEYAK_E_IDENTITY_METHOD_UNKNOWN', 'No verification provider is configured for this method.');
    const parsed = checkPersonInput(input, this.clock.now());
    const challengeId = randomBytes(16).toString('base64url');
    const phone = parsed.phone;
    const sexDigit = sexDigitOf(parsed.facts);
    await provider.start({ transactionId: challengeId, method: input.method, name: input.name, birthDate: parsed.facts.birthDate, sexDigit, phone });
    const expiresAt = new Date(this.clock.nowMs() + this.challengeTtlMs);
    await this.db.query(
      `INSERT INTO identity_challenge (id, method, rrn_hash, birth_date, sex, foreign_resident, name, phone, code_hash, attempts_max, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        challengeId,
        input.method,
        hashRrn(parsed.rrn, this.rrnSecret),
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
   *
   * The person is who the provider vouches for: its birth date and sex digit must be the typed
   * RRN's, and the registry must confirm the RRN is that identity's (CI); else 403
   * YEYAK_E_IDENTITY_MISMATCH. The person row is keyed by the CI's keyed hash.
   */
  async verify(challengeId: string, code: string, device?: string): Promise<VerifiedPerson> {
    const now = this.clock.now().toISOString();
    const claimed = await this.db.query<{
      method: string; birth_date: string; sex: 'M' | 'F'; foreign_resident: boolean; name: string; phone: string;
    }>(
      `UPDATE identity_challenge SET attempts = attempts + 1
       WHERE id = $1 AND verified_at IS NULL AND expires_at > $2 AND attempts < attempts_max
       RETURNING method, birth_date, sex, foreign_resident, name, phone`,
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
    const facts: PersonFacts = { birthDate: row.birth_date, sex: row.sex, foreignResident: row.foreign_resident };
    const stated = { name: row.name, phone: row.phone, birthDate: row.birth_date, sexDigit: sexDigitOf(facts) };
    let outcome: CheckOutcome;
    try {
      outcome = await provider.check({ transactionId: challengeId, method, code, stated });
    } catch (e) {
      if (isYeyakError(e) && e.code === 'YEYAK_E_IDENTITY_UNAVAILABLE') await this.giveBackAttempt(challengeId);
      throw e;
    }
    if (outcome.status === 'pending') {
      await this.giveBackAttempt(challengeId);
      throw new YeyakError('YEYAK_E_IDENTITY_PENDING', undefined, { method });
    }
    if (outcome.status === 'expired') throw new YeyakError('YEYAK_E_CHALLENGE_NOT_FOUND');
    if (outcome.status !== 'verified') throw new YeyakError('YEYAK_E_CODE_WRONG');
    if (!vouchesFor(outcome.identity, facts, stated.sexDigit)) throw new YeyakError('YEYAK_E_IDENTITY_MISMATCH');
    const personId = await this.settle(challengeId, outcome.identity, facts);
    // One device at a time: one conditional UPDATE takes the person's lock or refuses.
    if (this.devices && device !== undefined) await this.devices.take(personId, device);
    return { personId, facts };
  }

  /**
   * One transaction: the challenge is marked verified (a conditional UPDATE: verified twice in
   * parallel, the loser gets NOT_FOUND), the registry confirms the RRN for the CI, the person is
   * upserted by CI. A refusal rolls all three back.
   */
  private async settle(challengeId: string, identity: VerifiedIdentity, facts: PersonFacts): Promise<number> {
    const now = this.clock.now();
    const ciHash = hashCi(identity.ci, this.rrnSecret);
    return this.db.transaction(async (tx) => {
      const done = await tx.query<{ rrn_hash: string; name: string; phone: string }>(
        'UPDATE identity_challenge SET verified_at = $2 WHERE id = $1 AND verified_at IS NULL RETURNING rrn_hash, name, phone',
        [challengeId, now.toISOString()],
      );
      const c = done.rows[0];
      if (!c) throw new YeyakError('YEYAK_E_CHALLENGE_NOT_FOUND');
      return confirmPerson(tx, this.residents, { ciHash, rrnHash: c.rrn_hash, facts, name: c.name, phone: c.phone }, now, true);
    });
  }

  private async giveBackAttempt(challengeId: string): Promise<void> {
    await this.db.query('UPDATE identity_challenge SET attempts = attempts - 1 WHERE id = $1 AND verified_at IS NULL AND attempts > 0', [challengeId]);
  }
}

/** The provider's identity is the typed RRN's: same birth date and 7th digit (century, sex, foreigner). */
function vouchesFor(identity: VerifiedIdentity, facts: PersonFacts, sexDigit: string): boolean {
  return identity.birthDate === facts.birthDate && identity.sexDigit === sexDigit && identity.foreigner === facts.foreignResident;
}
