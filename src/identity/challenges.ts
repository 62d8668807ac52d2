import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import { isStoreUnavailable } from '../core/db-errors.ts';
import { isYeyakError, YeyakError } from '../core/errors.ts';
import type { PersonFacts } from '../rules/campaign.ts';
import { hashRrn, rrnPhoneKey, sexDigitOf } from '../rules/rrn.ts';
import { checkPersonInput } from '../rules/person-input.ts';
import type { ProviderRegistry } from './providers/registry.ts';
import type { CheckOutcome, IdentityMethod, VerifiedIdentity } from './providers/types.ts';
import { hashCi, SyntheticResidentRegistry, type ResidentRegistry } from './registry.ts';
import type { DeviceLock } from './devices.ts';
import { ChallengeTokens, type Challenge } from './challenge-token.ts';
import type { ChallengeAttempts } from './challenge-attempts.ts';
import { settleOwnVerification, type LockRequest } from './settle.ts';

/** The five methods of August 2021 (defined with the providers; re-exported for old importers). */
export { identityMethods, SANDBOX_CODE, type IdentityMethod } from './providers/types.ts';

export const CODE_ATTEMPTS_MAX = 5;
/**
 * The store keeps a challenge's attempts this long past its expiry: a node whose clock runs a
 * little behind still finds them (a count that vanished early would give a guesser more tries).
 */
const ATTEMPTS_KEPT_AFTER_EXPIRY_MS = 60_000;

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

export interface IdentityServiceDeps {
  db: Db;
  clock: Clock;
  rrnSecret: string;
  challengeTtlMs: number;
  providers: ProviderRegistry;
  /** Confirms that the typed RRN belongs to the verified identity (registry.ts). */
  residents: ResidentRegistry;
  /** Seals and opens challenge tokens (challenge-token.ts). */
  tokens: ChallengeTokens;
  /** Attempts and the one-time spend of each challenge, shared by the nodes (challenge-attempts.ts). */
  attempts: ChallengeAttempts;
  /** One device at a time; absent: no lock (tools, benchmarks). */
  devices?: DeviceLock;
}

/**
 * Verification: start (the provider sends the code; the challenge is a sealed token, nothing is
 * written), then verify (the attempt counted in the shared store, the provider judges the code,
 * one claim spends the challenge, one statement settles the person). Per verification: zero
 * database statements at start, one at verify.
 */
export class IdentityService {
  constructor(private readonly deps: IdentityServiceDeps) {}

  /**
   * The rate-limit key of an identity start: the RRN and the phone together, keyed-hashed (never
   * the RRN). Not the RRN alone: a stranger must not lock a person out by starting with their RRN.
   */
  personKey(rrn: string, phone: string): string {
    return rrnPhoneKey(rrn, phone, this.deps.rrnSecret);
  }

  /**
   * Starts a verification: the method's provider sends the code or the push (its transaction id
   * is the challenge's nonce), then the challenge is sealed into its id. The RRN is parsed and
   * hashed here and never leaves this function: the provider gets name, birth date, the sex digit
   * and phone; the token the RRN's keyed hash.
   */
  async start(input: ChallengeInput): Promise<{ challengeId: string; expiresAt: string }> {
    const { clock, providers, tokens, challengeTtlMs, rrnSecret } = this.deps;
    const provider = providers.get(input.method);
    if (!provider) throw new YeyakError('YEYAK_E_IDENTITY_METHOD_UNKNOWN', 'No verification provider is configured for this method.');
    const parsed = checkPersonInput(input, clock.now());
    const nonce = ChallengeTokens.nonce();
    const phone = parsed.phone;
    await provider.start({ transactionId: nonce, method: input.method, name: input.name, birthDate: parsed.facts.birthDate, sexDigit: sexDigitOf(parsed.facts), phone });
    const expiresAtMs = clock.nowMs() + challengeTtlMs;
    const challengeId = tokens.seal({ nonce, method: input.method, name: input.name, phone, rrnHash: hashRrn(parsed.rrn, rrnSecret), facts: parsed.facts, expiresAtMs });
    return { challengeId, expiresAt: new Date(expiresAtMs).toISOString() };
  }

  /**
   * Checks a code with the method's provider. The attempt is counted in the shared store (one
   * atomic step) before the provider is asked, so parallel guesses cannot exceed the limit, on
   * any node; an attempt the provider did not judge (unavailable, approval still pending) is
   * given back. A verified code then claims the challenge (one atomic step): of two verifications
   * at once, one settles, the other gets NOT_FOUND — one session.
   *
   * The person is who the provider vouches for: its birth date and sex digit must be the typed
   * RRN's, and the registry must confirm the RRN is that identity's (CI); else 403
   * YEYAK_E_IDENTITY_MISMATCH. The person row is keyed by the CI's keyed hash.
   */
  async verify(challengeId: string, code: string, device?: string): Promise<VerifiedPerson> {
    const { clock, providers, attempts } = this.deps;
    const c = this.deps.tokens.open(challengeId);
    if (!c || c.expiresAtMs <= clock.nowMs()) throw new YeyakError('YEYAK_E_CHALLENGE_NOT_FOUND');
    const provider = providers.get(c.method);
    if (!provider) {
      throw new YeyakError('YEYAK_E_IDENTITY_UNAVAILABLE', 'This verification method is no longer offered; start again with another.', { method: c.method, reason: 'not-configured' });
    }
    const keepMs = c.expiresAtMs - clock.nowMs() + ATTEMPTS_KEPT_AFTER_EXPIRY_MS;
    const counted = await attempts.count(c.nonce, CODE_ATTEMPTS_MAX, keepMs);
    if (counted === 'spent') throw new YeyakError('YEYAK_E_CHALLENGE_NOT_FOUND');
    if (counted === 'locked') throw new YeyakError('YEYAK_E_CHALLENGE_LOCKED');
    const stated = { name: c.name, phone: c.phone, birthDate: c.facts.birthDate, sexDigit: sexDigitOf(c.facts) };
    let outcome: CheckOutcome;
    try {
      outcome = await provider.check({ transactionId: c.nonce, method: c.method, code, stated });
    } catch (e) {
      if (isYeyakError(e) && e.code === 'YEYAK_E_IDENTITY_UNAVAILABLE') await attempts.giveBack(c.nonce);
      throw e;
    }
    if (outcome.status === 'pending') {
      await attempts.giveBack(c.nonce);
      throw new YeyakError('YEYAK_E_IDENTITY_PENDING', undefined, { method: c.method });
    }
    if (outcome.status === 'expired') throw new YeyakError('YEYAK_E_CHALLENGE_NOT_FOUND');
    if (outcome.status !== 'verified') throw new YeyakError('YEYAK_E_CODE_WRONG');
    if (!vouchesFor(outcome.identity, c.facts, stated.sexDigit)) throw new YeyakError('YEYAK_E_IDENTITY_MISMATCH');
    if (!(await attempts.claim(c.nonce, keepMs))) throw new YeyakError('YEYAK_E_CHALLENGE_NOT_FOUND');
    return { personId: await this.settleClaimed(c, outcome.identity, device), facts: c.facts };
  }

  /**
   * Settles a claimed challenge in one statement (settle.ts). When nothing was settled (the
   * registry refused, the database failed) the claim is released: the challenge can be tried
   * again, as when a transaction rolled its "verified" mark back. A lock held by another device
   * keeps it spent: the person was refreshed, no session is issued (423 OTHER_DEVICE_ACTIVE).
   */
  private async settleClaimed(c: Challenge, identity: VerifiedIdentity, device: string | undefined): Promise<number> {
    const { db, clock, residents, devices, attempts, rrnSecret } = this.deps;
    const now = clock.now();
    const person = { ciHash: hashCi(identity.ci, rrnSecret), rrnHash: c.rrnHash, facts: c.facts, name: c.name, phone: c.phone };
    const lock: LockRequest | null = devices && device !== undefined && devices.lockMs > 0 ? { device, untilMs: now.getTime() + devices.lockMs, nowMs: now.getTime() } : null;
    // The synthetic registry's bindings are rows: bound in the same statement. Another registry
    // (a network service) answers first, outside any transaction.
    const bindInDatabase = residents instanceof SyntheticResidentRegistry;
    let settled;
    try {
      if (!bindInDatabase && !(await residents.confirm({ ciHash: person.ciHash, rrnHash: person.rrnHash, name: person.name, now }, db))) {
        throw new YeyakError('YEYAK_E_IDENTITY_MISMATCH');
      }
      settled = await settleOwnVerification(db, person, now, lock, bindInDatabase);
    } catch (e) {
      await attempts.release(c.nonce).catch(() => undefined); // unreleased, the challenge is spent: a fresh start is the way on
      // The code was right and the database was away (503): the retry the citizen is told to
      // send must not burn one of the five attempts (the fault suite saw challenges locked so).
      if (isStoreUnavailable(e)) await attempts.giveBack(c.nonce).catch(() => undefined);
      throw e;
    }
    if (!settled.locked) throw otherDeviceActive(settled.lockedUntil, now.getTime());
    return settled.personId;
  }
}

/** 423: another device holds the person (devices.ts), with when it frees. */
function otherDeviceActive(until: Date, nowMs: number): YeyakError {
  return new YeyakError('YEYAK_E_OTHER_DEVICE_ACTIVE', undefined, {
    unlockAt: until.toISOString(),
    retryAfterS: Math.max(1, Math.ceil((until.getTime() - nowMs) / 1000)),
  });
}

/** The provider's identity is the typed RRN's: same birth date and 7th digit (century, sex, foreigner). */
function vouchesFor(identity: VerifiedIdentity, facts: PersonFacts, sexDigit: string): boolean {
  return identity.birthDate === facts.birthDate && identity.sexDigit === sexDigit && identity.foreigner === facts.foreignResident;
}
