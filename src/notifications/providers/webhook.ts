import { request } from 'undici';
import { permanent, retryable, type NoticeProvider, type OutboundNotice, type SendResult } from '../provider.ts';

export const WEBHOOK_TIMEOUT_MS = 5_000; // a gateway that takes longer is treated as down: retried later

/**
 * POSTs each notice as JSON with an `Idempotency-Key` header (the far side drops a repeat).
 * 2xx: delivered; 408, 429 and 5xx, a timeout or a refused connection: retried later; any other
 * 4xx: never again (the request itself is wrong).
 */
export class WebhookProvider implements NoticeProvider {
  readonly name = 'webhook';

  constructor(
    private readonly url: string,
    private readonly timeoutMs = WEBHOOK_TIMEOUT_MS,
  ) {}

  async send(m: OutboundNotice, idempotencyKey: string): Promise<SendResult> {
    const body = JSON.stringify({ id: m.id, idempotencyKey, topic: m.topic, to: m.to, kind: m.kind, bytes: m.bytes, lang: m.lang, text: m.text });
    try {
      const res = await request(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.body.dump();
      const status = res.statusCode;
      if (status >= 200 && status < 300) return { ok: true, channel: 'webhook' };
      if (status === 408 || status === 429 || status >= 500) return retryable(`WEBHOOK_HTTP_${status}`);
      return permanent(`WEBHOOK_HTTP_${status}`);
    } catch (e) {
      // No URL, no body in the error: the URL may carry a token.
      return retryable(`WEBHOOK_NETWORK: ${(e as { code?: string; name?: string }).code ?? (e as Error).name ?? 'error'}`);
    }
  }
}
