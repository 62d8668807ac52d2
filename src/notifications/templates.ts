/**
 * Rendering a notice: the typed dictionaries of the pages (web/i18n/{ko,en}/notices.ts, pure
 * functions of the payload and the facts looked up when sending) and the SMS length rules. The
 * language is the payload's `lang` when it has one, else Korean.
 */
import { notices as ko, type NoticeFacts } from '../../web/i18n/ko/notices.ts';
import { notices as en } from '../../web/i18n/en/notices.ts';
import { isNoticeTopic, type NoticePayloads, type NoticeTopic } from '../rules/notices.ts';
import { smsLength, type SmsKind } from './sms-length.ts';

export type { NoticeFacts } from '../../web/i18n/ko/notices.ts';

export type NoticeLang = 'ko' | 'en';

const DICTIONARIES = { ko, en } as const;

/** A rendered notice ready for a provider, or why it cannot be sent (a permanent failure). */
export type Rendering =
  | { readonly ok: true; readonly text: string; readonly kind: SmsKind; readonly bytes: number; readonly lang: NoticeLang }
  | { readonly ok: false; readonly code: RenderRefusal; readonly detail: string };

/** Stable codes stored in outbox.last_error of a dead letter (never the text: it names a person). */
export type RenderRefusal = 'NOTICE_TOPIC_UNKNOWN' | 'NOTICE_PAYLOAD_INVALID' | 'NOTICE_UNENCODABLE' | 'NOTICE_TOO_LONG';

export function noticeLang(payload: Record<string, unknown>): NoticeLang {
  return payload['lang'] === 'en' ? 'en' : 'ko';
}

/** The text of one topic in one language (no length rules: see render). */
export function renderText<T extends NoticeTopic>(topic: T, payload: NoticePayloads[T], facts: NoticeFacts, lang: NoticeLang): string {
  const dictionary = DICTIONARIES[lang];
  const template = dictionary.topics[topic] as (p: NoticePayloads[T], f: NoticeFacts) => string;
  return `${dictionary.sender} ${template(payload, facts)}`;
}

/** Longest name a notice greets (the identity form takes 40; a proxy's form 100). */
export const NOTICE_NAME_LENGTH_MAX = 40;
/** Letters, marks, symbols (an emoji: refused later as unencodable), spaces, hyphens, apostrophes, middle dots. */
const NAME_CHARACTERS = /^[\p{L}\p{M}\p{S}\p{Zs}'’·-]+$/u;

/**
 * The name a notice may greet, else null (the notice goes without it). A proxy or an agent types
 * a beneficiary's name and phone, unvouched: a "name" holding a link, a mail address or a number
 * ("http://evil.kr 재인증") would be a lure in an SMS from our own sender to any phone. No name
 * has digits or URL punctuation (security review, issue #11).
 */
export function greetableName(name: string | null): string | null {
  if (name === null || [...name].length > NOTICE_NAME_LENGTH_MAX || !NAME_CHARACTERS.test(name)) return null;
  return name;
}

/** Renders an outbox row: its topic's template, then the CP949 length rules (SMS, LMS or refused). */
export function render(topic: string, payload: Record<string, unknown>, given: NoticeFacts): Rendering {
  const facts = { ...given, personName: greetableName(given.personName) };
  if (!isNoticeTopic(topic)) return { ok: false, code: 'NOTICE_TOPIC_UNKNOWN', detail: `no template for topic ${topic}` };
  const lang = noticeLang(payload);
  let text: string;
  try {
    text = renderText(topic, payload as unknown as NoticePayloads[typeof topic], facts, lang);
  } catch {
    // A producer wrote a payload its topic's type does not allow (a field missing).
    return { ok: false, code: 'NOTICE_PAYLOAD_INVALID', detail: `payload does not fit topic ${topic}` };
  }
  // A missing field that did not throw would be sent as words like "undefined": never.
  if (/\b(undefined|null|NaN)\b|\[object /.test(text)) return { ok: false, code: 'NOTICE_PAYLOAD_INVALID', detail: `payload does not fit topic ${topic}` };
  const length = smsLength(text);
  if (!length.ok) {
    return length.code === 'UNENCODABLE'
      ? { ok: false, code: 'NOTICE_UNENCODABLE', detail: 'a character has no EUC-KR (CP949) encoding, e.g. an emoji in a name' }
      : { ok: false, code: 'NOTICE_TOO_LONG', detail: `${length.bytes} bytes in CP949, more than an LMS takes` };
  }
  return { ok: true, text, kind: length.kind, bytes: length.bytes, lang };
}
