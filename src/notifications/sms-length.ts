/**
 * SMS length rules, counted as the Korean carriers count them: bytes in EUC-KR (CP949, a Hangul
 * syllable is 2 bytes, ASCII 1). Up to 90 bytes is a short SMS, up to 2,000 an LMS; longer is
 * refused. A character CP949 cannot encode (emoji, most non-Korean scripts) is refused too:
 * iconv-lite silently replaces it with '?', so encodability is checked by a round trip.
 */
import iconv from 'iconv-lite';

export const SMS_BYTES_MAX = 90;
export const LMS_BYTES_MAX = 2_000;

export type SmsKind = 'sms' | 'lms';

export type SmsLength =
  | { readonly ok: true; readonly kind: SmsKind; readonly bytes: number }
  | { readonly ok: false; readonly code: 'UNENCODABLE'; readonly bytes: number }
  | { readonly ok: false; readonly code: 'TOO_LONG'; readonly bytes: number };

/** The text's size in CP949 bytes, or null when some character has no CP949 encoding. */
export function cp949Bytes(text: string): number | null {
  const encoded = iconv.encode(text, 'cp949');
  return iconv.decode(encoded, 'cp949') === text ? encoded.length : null;
}

/** Which message a text needs: SMS (≤ 90 bytes), LMS (≤ 2,000), or why it cannot be sent. */
export function smsLength(text: string): SmsLength {
  const bytes = cp949Bytes(text);
  if (bytes === null) return { ok: false, code: 'UNENCODABLE', bytes: iconv.encode(text, 'cp949').length };
  if (bytes > LMS_BYTES_MAX) return { ok: false, code: 'TOO_LONG', bytes };
  return { ok: true, kind: bytes <= SMS_BYTES_MAX ? 'sms' : 'lms', bytes };
}
