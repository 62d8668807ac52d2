import { isRealDay } from '../../rules/time.ts';
import {
  isForeignerDigit,
  ProviderFault,
  ProviderRefused,
  type CheckOutcome,
  type CheckRequest,
  type IdentityMethod,
  type StartRequest,
  type VerificationProvider,
  type VerifiedIdentity,
} from './types.ts';

/**
 * A real-shaped provider: calls an HTTP verification service, so an operator can put a gateway to
 * the real methods (an SMS OTP sender, the Naver/Kakao/PASS approval APIs, a certificate relay)
 * behind yeyak without touching it. The JSON contract the service implements:
 *
 *   POST {baseUrl}/verifications                         start: send the code or the push
 *     headers  content-type: application/json
 *              idempotency-key: {transactionId}           (a retried start is the same start)
 *              authorization: Bearer {token}              (when YEYAK_IDENTITY_HTTP_TOKEN is set)
 *     body     {"transactionId": "…", "method": "phone"|"naver"|"kakao"|"pass"|"certificate",
 *               "name": "홍길동", "birthDate": "1990-05-05", "sexDigit": "1", "phone": "01012345678"}
 *              (sexDigit: the RRN's 7th digit, as the real services ask for it)
 *     200/201/202 → {"transactionId": "…", "status": "sent"}
 *
 *   POST {baseUrl}/verifications/{transactionId}/check    check: the code, or the app's approval
 *     body     {"code": "123456"}
 *     200 → {"status": "verified", "identity": {"ci": "…", "birthDate": "1990-05-05",
 *                                              "sexDigit": "1", "foreigner": false}}
 *           the identity the service vouches for: ci is the person's 연계정보 (CI, the same at
 *           every provider; 1–MAX_CI_LENGTH printable ASCII characters), birthDate and sexDigit
 *           as its records hold them, foreigner true exactly when sexDigit is 5–8
 *         | {"status": "rejected" | "pending" | "expired"}
 *           rejected: wrong code or approval declined; pending: not approved in the app yet
 *     404 → the transaction is unknown to the service (treated as expired)
 *
 *   Status codes: 400, 403, 404 (on start), 409, 422 → the service refused this citizen's request:
 *   not a fault, the breaker does not count it (YEYAK_E_IDENTITY_FAILED). 408, 429, any 5xx, a
 *   network error, a body over MAX_BODY_BYTES or one that does not match → a fault, counted by
 *   the breaker (YEYAK_E_IDENTITY_UNAVAILABLE). Timeouts are the caller's (the abort signal).
 *
 * The resident registration number is never sent (only its 7th digit); neither it nor name,
 * phone or CI is ever put in an error message (they end up in logs).
 */
export const MAX_BODY_BYTES = 16 * 1024;
/** Real CIs are 88 base64 characters; a little room for other encodings. */
export const MAX_CI_LENGTH = 128;
const CI_PATTERN = /^[\x21-\x7e]+$/;
const REFUSED_STATUSES = new Set([400, 403, 404, 409, 422]);

export interface HttpProviderOptions {
  baseUrl: string;
  token?: string | null;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

export class HttpProvider implements VerificationProvider {
  readonly kind = 'http' as const;
  private readonly base: URL;
  private readonly fetchFn: typeof fetch;

  constructor(
    readonly method: IdentityMethod,
    private readonly opts: HttpProviderOptions,
  ) {
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
    this.fetchFn = opts.fetch ?? fetch;
  }

  async start(req: StartRequest, signal: AbortSignal): Promise<void> {
    const body = { transactionId: req.transactionId, method: req.method, name: req.name, birthDate: req.birthDate, sexDigit: req.sexDigit, phone: req.phone };
    const { status, json } = await this.post('verifications', body, req.transactionId, signal);
    if (REFUSED_STATUSES.has(status)) throw new ProviderRefused(`${this.label()}: start refused (${status})`);
    if (status !== 200 && status !== 201 && status !== 202) throw new ProviderFault(`${this.label()}: start answered ${status}`);
    const answer = json as { transactionId?: unknown; status?: unknown } | null;
    if (answer?.status !== 'sent' || answer.transactionId !== req.transactionId) {
      throw new ProviderFault(`${this.label()}: start answer does not match the contract`);
    }
  }

  async check(req: CheckRequest, signal: AbortSignal): Promise<CheckOutcome> {
    const path = `verifications/${encodeURIComponent(req.transactionId)}/check`;
    const { status, json } = await this.post(path, { code: req.code }, null, signal);
    if (status === 404) return { status: 'expired' };
    if (REFUSED_STATUSES.has(status)) throw new ProviderRefused(`${this.label()}: check refused (${status})`);
    if (status !== 200) throw new ProviderFault(`${this.label()}: check answered ${status}`);
    const answer = json as { status?: unknown; identity?: unknown } | null;
    const outcome = answer?.status;
    if (outcome === 'rejected' || outcome === 'pending' || outcome === 'expired') return { status: outcome };
    const identity = outcome === 'verified' ? parseIdentity(answer?.identity) : null;
    if (identity) return { status: 'verified', identity };
    throw new ProviderFault(`${this.label()}: check answer does not match the contract`);
  }

  private label(): string {
    return `http provider ${this.method}`;
  }

  private async post(path: string, body: unknown, idempotencyKey: string | null, signal: AbortSignal): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(new URL(path, this.base), { method: 'POST', headers, body: JSON.stringify(body), signal, redirect: 'error' });
      const length = Number(res.headers.get('content-length') ?? '0');
      if (length > MAX_BODY_BYTES) {
        await res.body?.cancel();
        throw new ProviderFault(`${this.label()}: answer of ${length} bytes is too large`);
      }
      text = await res.text();
    } catch (e) {
      if (e instanceof ProviderFault) throw e;
      if (signal.aborted) throw e; // the timeout's: the resilience layer names it
      const code = (e as { cause?: { code?: unknown } }).cause?.code;
      throw new ProviderFault(`${this.label()}: network error${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new ProviderFault(`${this.label()}: answer too large`);
    if (res.status >= 300) return { status: res.status, json: null };
    try {
      return { status: res.status, json: text === '' ? null : JSON.parse(text) };
    } catch {
      throw new ProviderFault(`${this.label()}: answer is not JSON`);
    }
  }
}

/** The identity of a verified check, or null when it is not the contract's (a fault). */
function parseIdentity(v: unknown): VerifiedIdentity | null {
  if (typeof v !== 'object' || v === null) return null;
  const { ci, birthDate, sexDigit, foreigner } = v as Record<string, unknown>;
  if (typeof ci !== 'string' || ci.length > MAX_CI_LENGTH || !CI_PATTERN.test(ci)) return null;
  if (typeof birthDate !== 'string' || !isRealDay(birthDate)) return null;
  if (typeof sexDigit !== 'string' || !/^[0-9]$/.test(sexDigit)) return null;
  if (typeof foreigner !== 'boolean' || foreigner !== isForeignerDigit(sexDigit)) return null;
  return { ci, birthDate, sexDigit, foreigner };
}
