/**
 * Korean resident registration number (주민등록번호, RRN): YYMMDD-GNNNNNN.
 *
 * Only the birth date, sex and residency that the rules need are derived from it; the number itself
 * is stored as a keyed hash and shown masked. There is no checksum check: numbers issued since
 * October 2020 carry random trailing digits, so a checksum would reject real people.
 */
import { createHmac } from 'node:crypto';
import type { PersonFacts } from './campaign.ts';
import { isRealDay } from './time.ts';

export type RrnInvalidReason = 'FORMAT' | 'DATE' | 'GENDER_DIGIT';

export type RrnParseResult =
  | { ok: true; facts: PersonFacts; normalized: string }
  | { ok: false; reason: RrnInvalidReason };

interface GenderDigitMeaning {
  readonly century: number;
  readonly sex: 'M' | 'F';
  readonly foreignResident: boolean;
}

/** The 7th digit encodes century, sex and whether the holder is a registered foreign resident. */
const GENDER_DIGIT: Readonly<Record<string, GenderDigitMeaning>> = {
  '9': { century: 1800, sex: 'M', foreignResident: false },
  '0': { century: 1800, sex: 'F', foreignResident: false },
  '1': { century: 1900, sex: 'M', foreignResident: false },
  '2': { century: 1900, sex: 'F', foreignResident: false },
  '3': { century: 2000, sex: 'M', foreignResident: false },
  '4': { century: 2000, sex: 'F', foreignResident: false },
  '5': { century: 1900, sex: 'M', foreignResident: true },
  '6': { century: 1900, sex: 'F', foreignResident: true },
  '7': { century: 2000, sex: 'M', foreignResident: true },
  '8': { century: 2000, sex: 'F', foreignResident: true },
};

// ASCII digits only (no `u` flag, so \d is [0-9]); the hyphen is the only separator accepted.
const RRN_RE = /^(\d{6})-?(\d{7})$/;

/** Parse an RRN typed as 'YYMMDD-GNNNNNN' or 13 digits (surrounding whitespace ignored). */
export function parseRrn(raw: string): RrnParseResult {
  const m = RRN_RE.exec(raw.trim());
  if (!m) return { ok: false, reason: 'FORMAT' };
  const front = m[1] ?? '';
  const back = m[2] ?? '';
  // The table covers all ten digits, so this only guards against the table being edited.
  const meaning = GENDER_DIGIT[back.charAt(0)];
  if (!meaning) return { ok: false, reason: 'GENDER_DIGIT' };
  const year = meaning.century + Number(front.slice(0, 2));
  const birthDate = `${year}-${front.slice(2, 4)}-${front.slice(4, 6)}`;
  if (!isRealDay(birthDate)) return { ok: false, reason: 'DATE' };
  const facts: PersonFacts = { birthDate, sex: meaning.sex, foreignResident: meaning.foreignResident };
  return { ok: true, facts, normalized: front + back };
}

/** 'YYMMDD-G******' for display and logs; digits 8–13 never leave this function. */
export function maskRrn(raw: string): string {
  const parsed = parseRrn(raw);
  if (!parsed.ok) return '******-*******';
  return `${parsed.normalized.slice(0, 6)}-${parsed.normalized.charAt(6)}******`;
}

/**
 * Keyed hash (HMAC-SHA256, hex) used to recognise the same person without storing the number.
 * Demands the 13-digit normalized form: hashing '900829-1234567' and '9008291234567' differently
 * would let one person hold two reservations.
 */
export function hashRrn(normalized13Digits: string, secret: string): string {
  if (!/^\d{13}$/.test(normalized13Digits)) throw new RangeError('hashRrn: expects the 13-digit normalized RRN');
  // An empty key would make the hash a plain SHA-256 that anyone can brute-force over ~10^13 numbers.
  if (secret.length === 0) throw new RangeError('hashRrn: secret must not be empty');
  return createHmac('sha256', secret).update(normalized13Digits).digest('hex');
}

/**
 * The masked form shown to a person (`900829-1******`), rebuilt from what is stored — the birth
 * date and the derived sex/residency — since the number itself is never kept.
 */
export function maskedRrnFromFacts(facts: PersonFacts): string {
  const [y, m, d] = facts.birthDate.split('-') as [string, string, string];
  return `${y.slice(2)}${m}${d}-${sexDigitOf(facts)}******`;
}

/** The RRN's 7th digit that the facts imply (century, sex, foreign resident): what a provider vouches for. */
export function sexDigitOf(facts: PersonFacts): string {
  const year = Number(facts.birthDate.slice(0, 4));
  const male = facts.sex === 'M';
  let digit: number;
  if (year < 1900) digit = male ? 9 : 0;
  else if (year < 2000) digit = facts.foreignResident ? (male ? 5 : 6) : male ? 1 : 2;
  else digit = facts.foreignResident ? (male ? 7 : 8) : male ? 3 : 4;
  return String(digit);
}

/**
 * The rate-limit key of an identity start: the RRN and the phone together, keyed-hashed (Redis
 * keys are readable). Keyed on both, a stranger who types someone's RRN with their own phone
 * fills only their own bucket and cannot lock that person out.
 */
export function rrnPhoneKey(rrn: string, phone: string, secret: string): string {
  const parsed = parseRrn(rrn);
  // An input that does not parse is hashed too: it may be a real RRN with a typo.
  const person = parsed.ok ? parsed.normalized : `unparsed.${rrn}`;
  return createHmac('sha256', secret).update('start.').update(person).update('\n').update(phone.replace(/\D/g, '')).digest('hex');
}
