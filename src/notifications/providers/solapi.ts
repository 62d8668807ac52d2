/**
 * SMS, LMS and 알림톡 through SOLAPI's SDK (`solapi`, SolapiMessageService). The SDK has no
 * base-URL option: its services call the global `fetch` with `https://api.solapi.com/…`. With
 * `baseUrl` set (tests, a relay), requests to that origin — and only those — are re-addressed by
 * a global undici dispatcher that wraps the one before it (solapi-base-url.ts).
 *
 * 알림톡 (ATA) is tried when a channel (pfId) is configured AND the topic has an approved template
 * id; it is sent with disableSms so SOLAPI itself never substitutes a text: when the 알림톡 is
 * refused (a 4xx, or the message not accepted) this provider sends the SMS/LMS itself, at once.
 * A retryable failure of the 알림톡 is retried later as a 알림톡 (sending an SMS too could deliver
 * twice). The idempotency key travels in customFields (SOLAPI keeps it with the message, its
 * reports carry it); SOLAPI does not de-duplicate by it — see docs/ARCHITECTURE.md.
 */
import { SolapiMessageService } from 'solapi';
import { permanent, retryable, type NoticeProvider, type OutboundNotice, type SendResult } from '../provider.ts';
import { redirectOrigin, SOLAPI_ORIGIN } from './solapi-base-url.ts';

export interface SolapiSettings {
  readonly apiKey: string;
  readonly apiSecret: string;
  /** The registered sender number. */
  readonly sender: string;
  readonly baseUrl?: string | null;
  /** The 카카오 channel's pfId: 알림톡 on (for topics with a template id). */
  readonly pfId?: string | null;
  /** Approved 알림톡 template ids by topic; a topic without one goes as SMS/LMS. */
  readonly alimtalkTemplates?: Readonly<Record<string, string>>;
}

type SdkMessage = Parameters<SolapiMessageService['send']>[0];

export class SolapiProvider implements NoticeProvider {
  readonly name = 'solapi';
  private readonly service: SolapiMessageService;
  private readonly releaseRedirect: (() => void) | null;

  constructor(private readonly settings: SolapiSettings) {
    this.service = new SolapiMessageService(settings.apiKey, settings.apiSecret);
    this.releaseRedirect = settings.baseUrl ? redirectOrigin(SOLAPI_ORIGIN, settings.baseUrl) : null;
  }

  async send(m: OutboundNotice, idempotencyKey: string): Promise<SendResult> {
    const to = m.to.replace(/\D/g, '');
    const from = this.settings.sender.replace(/\D/g, '');
    const customFields = { idempotencyKey };
    const templateId = this.settings.alimtalkTemplates?.[m.topic];
    if (this.settings.pfId && templateId) {
      const ata = await this.trySend({ to, from, text: m.text, type: 'ATA', customFields, kakaoOptions: { pfId: this.settings.pfId, templateId, disableSms: true } }, 'ata');
      if (ata.ok || ata.retryable) return ata;
      // Refused (template not approved, no KakaoTalk on that phone…): the text message instead.
    }
    return this.trySend({ to, from, text: m.text, type: m.kind === 'sms' ? 'SMS' : 'LMS', customFields }, m.kind);
  }

  private async trySend(message: SdkMessage, channel: string): Promise<SendResult> {
    try {
      await this.service.send(message);
      return { ok: true, channel: `solapi:${channel}` };
    } catch (e) {
      return classify(e);
    }
  }

  async close(): Promise<void> {
    this.releaseRedirect?.();
  }
}

/** The SDK's tagged errors → retry or not. Codes only: its messages may quote the phone. */
export function classify(e: unknown): SendResult {
  const err = e as { _tag?: string; httpStatus?: number; errorCode?: string; failedMessageList?: readonly { statusCode?: string }[] };
  const tag = err?._tag ?? 'Unknown';
  switch (tag) {
    case 'ClientError':
      return err.httpStatus === 429 || err.httpStatus === 408 ? retryable(`SOLAPI_HTTP_${err.httpStatus}`) : permanent(`SOLAPI_HTTP_${err.httpStatus ?? 4}: ${code(err.errorCode)}`);
    case 'MessageNotReceivedError':
      return permanent(`SOLAPI_NOT_RECEIVED: ${code(err.failedMessageList?.[0]?.statusCode)}`);
    case 'BadRequestError':
    case 'ApiKeyError':
      return permanent(`SOLAPI_${tag}`);
    default: // ServerError, NetworkError, DefaultError (retries spent), anything unknown
      return retryable(`SOLAPI_${tag}${err.httpStatus ? `_${err.httpStatus}` : ''}: ${code(err.errorCode)}`);
  }
}

/** A provider's error code, kept only when it looks like one (letters, digits, _ . -). */
function code(c: unknown): string {
  return typeof c === 'string' && /^[A-Za-z0-9_.-]{1,60}$/.test(c) ? c : '-';
}
