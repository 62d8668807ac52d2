/**
 * One interface for every way a citizen proves who they are. The five methods of August 2021:
 * a one-time code by SMS to the phone, three app approvals ("simple authentication": the site
 * sends a push to Naver, Kakao or PASS and the citizen approves it there) and a certificate login.
 *
 * A provider is called twice per verification, outside any database transaction:
 *   start  — send the code or the push (the challenge id is the provider's transaction id);
 *   check  — the code the citizen typed (or, for an app, whether they approved).
 * The resident registration number is never given to a provider: it identifies the person by
 * name, birth date, sex digit (the RRN's 7th digit) and phone, as the real services do at this
 * step, and a successful check answers with the verified identity (VerifiedIdentity: the CI).
 *
 * The method names live in src/core/identity-settings.ts, where configuration reads them.
 */
import type { IdentityMethod } from '../../core/identity-settings.ts';

export { identityMethods, isIdentityMethod, type IdentityMethod } from '../../core/identity-settings.ts';

/** How the citizen completes a method (the web page words the next step by it). */
export type MethodStyle = 'otp' | 'app' | 'certificate';

export interface MethodInfo {
  style: MethodStyle;
  labelKo: string;
  labelEn: string;
}

export const methodInfo: Readonly<Record<IdentityMethod, MethodInfo>> = {
  phone: { style: 'otp', labelKo: '휴대폰 본인인증', labelEn: 'Mobile phone (SMS code)' },
  naver: { style: 'app', labelKo: '네이버 인증서', labelEn: 'Naver certificate (app approval)' },
  kakao: { style: 'app', labelKo: '카카오 인증서', labelEn: 'Kakao certificate (app approval)' },
  pass: { style: 'app', labelKo: 'PASS 인증서', labelEn: 'PASS (app approval)' },
  certificate: { style: 'certificate', labelKo: '공동인증서', labelEn: 'Joint certificate' },
};

/** The sandbox accepts this code for every method (docs/contract.md, YEYAK_IDENTITY). */
export const SANDBOX_CODE = '000000';

export interface StartRequest {
  /** Our challenge id; the provider's transaction (and idempotency) key. */
  transactionId: string;
  method: IdentityMethod;
  name: string;
  /** YYYY-MM-DD. */
  birthDate: string;
  /** The RRN's 7th digit as typed (century, sex, foreigner); never the other six. */
  sexDigit: string;
  /** Digits only, e.g. 01012345678. */
  phone: string;
}

/**
 * What a provider vouches for after a successful check. `ci` is the 연계정보 (CI): the same for
 * one person at every provider, so it is who the person is (it is hashed before it is stored).
 */
export interface VerifiedIdentity {
  ci: string;
  /** YYYY-MM-DD. */
  birthDate: string;
  /** The RRN's 7th digit (0–9): century and sex; 5–8 are registered foreigners. */
  sexDigit: string;
  foreigner: boolean;
}

/** What the citizen stated at start (name, birth date, sex digit, phone). */
export type StatedIdentity = Pick<StartRequest, 'name' | 'birthDate' | 'sexDigit' | 'phone'>;

export interface CheckRequest {
  transactionId: string;
  method: IdentityMethod;
  /** Six digits: the SMS code, or the confirmation shown by the app. */
  code: string;
  /**
   * What was stated at start. A real provider keeps its own transaction and ignores this (the
   * HTTP adapter never sends it); the sandbox, which has no records, vouches for it.
   */
  stated: StatedIdentity;
}

/**
 * The provider's judgement of a check: verified (with the identity it vouches for); rejected
 * (wrong code, push declined); pending (the push is not approved yet: ask again); expired (the
 * provider no longer knows the transaction).
 */
export type CheckOutcome =
  | { status: 'verified'; identity: VerifiedIdentity }
  | { status: 'rejected' | 'pending' | 'expired' };

/** 5–8: a registered foreign resident (the RRN's 7th digit). */
export function isForeignerDigit(sexDigit: string): boolean {
  return sexDigit >= '5' && sexDigit <= '8' && sexDigit.length === 1;
}

export interface VerificationProvider {
  readonly method: IdentityMethod;
  /** 'sandbox' (built in, accepts SANDBOX_CODE) or 'http' (an operator's verification service). */
  readonly kind: 'sandbox' | 'http';
  start(req: StartRequest, signal: AbortSignal): Promise<void>;
  check(req: CheckRequest, signal: AbortSignal): Promise<CheckOutcome>;
}

/**
 * The provider is broken or overloaded (5xx, 429, a network error, an answer that does not match
 * the contract). Counted by the circuit breaker; the citizen gets YEYAK_E_IDENTITY_UNAVAILABLE.
 */
export class ProviderFault extends Error {
  override name = 'ProviderFault';
}

/**
 * The provider answered sanely and refused this citizen's request (details that do not match its
 * records, a declined approval). Not a fault: the breaker does not count it; the citizen gets
 * YEYAK_E_IDENTITY_FAILED.
 */
export class ProviderRefused extends Error {
  override name = 'ProviderRefused';
}
