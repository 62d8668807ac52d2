/**
 * The checks on a person as someone typed them (themselves at verification, a proxy or an agent
 * when booking for them): one home, so every path refuses the same input with the same code.
 */
import { YeyakError } from '../core/errors.ts';
import { PHONE_PATTERN } from '../core/schemas.ts';
import type { PersonFacts } from './campaign.ts';
import { parseRrn } from './rrn.ts';
import { KOREA_TIME_ZONE, localDay } from './time.ts';

const PHONE = new RegExp(PHONE_PATTERN);

export interface CheckedPerson {
  /** The RRN's 13 digits: hash it at once (rules/rrn.ts hashRrn), never keep it. */
  readonly rrn: string;
  readonly facts: PersonFacts;
  /** Digits only. */
  readonly phone: string;
}

/** RRN_INVALID (malformed, impossible, or born after today in Korea) or PHONE_INVALID; else the parts. */
export function checkPersonInput(input: { rrn: string; phone: string }, now: Date): CheckedPerson {
  const parsed = parseRrn(input.rrn);
  if (!parsed.ok) throw new YeyakError('YEYAK_E_RRN_INVALID', undefined, { reason: parsed.reason });
  // A birth date after today (in Korea) is a typo, not a person: 991231-3… would read as 2099.
  if (parsed.facts.birthDate > localDay(now, KOREA_TIME_ZONE)) {
    throw new YeyakError('YEYAK_E_RRN_INVALID', undefined, { reason: 'FUTURE_DATE' });
  }
  if (!PHONE.test(input.phone)) throw new YeyakError('YEYAK_E_PHONE_INVALID');
  return { rrn: parsed.normalized, facts: parsed.facts, phone: input.phone.replaceAll('-', '') };
}
