/**
 * A provider delivers one rendered notice. It is given the message's idempotency key (stable per
 * outbox row: `yeyak-outbox-<id>`) and must pass it on, so that a resend after a crash between
 * sending and marking (the lease lapsed, another worker sent again) is dropped by the far side.
 * Answers: ok, retryable (try later: timeouts, 429, 5xx) or permanent (never again: 4xx, a number
 * refused). `error` is short and holds no personal data (it goes into outbox.last_error and logs).
 */
import type { NoticeLang } from './templates.ts';
import type { SmsKind } from './sms-length.ts';

export interface OutboundNotice {
  readonly id: number;
  readonly topic: string;
  /** The phone to send to, as stored (providers mask it wherever they log). */
  readonly to: string;
  readonly text: string;
  readonly kind: SmsKind;
  readonly bytes: number;
  readonly lang: NoticeLang;
}

export type SendResult =
  | { readonly ok: true; readonly channel: string }
  | { readonly ok: false; readonly retryable: boolean; readonly error: string };

export type ProviderName = 'console' | 'file' | 'webhook' | 'solapi';

export interface NoticeProvider {
  readonly name: ProviderName | string;
  send(message: OutboundNotice, idempotencyKey: string): Promise<SendResult>;
  close?(): Promise<void>;
}

export function idempotencyKeyOf(id: number): string {
  return `yeyak-outbox-${id}`;
}

/** 010-1234-5678 → 010-****-5678: enough to recognise, not enough to call. */
export function maskPhone(phone: string | null): string | null {
  if (phone === null) return null;
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 7) return '*'.repeat(digits.length);
  return `${digits.slice(0, 3)}-****-${digits.slice(-4)}`;
}

export const retryable = (error: string): SendResult => ({ ok: false, retryable: true, error });
export const permanent = (error: string): SendResult => ({ ok: false, retryable: false, error });
