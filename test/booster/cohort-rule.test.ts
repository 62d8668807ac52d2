/**
 * The booster's cohort rule (rules/cohort.ts), pure and on a fake instant: eligible exactly from
 * the last dose's day + N days, that day starting at midnight in the campaign's zone (Asia/Seoul),
 * never at the server's (issue #11; the 20 Jul 2021 bug read the current time wrongly).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cohortStatus, cohortStatusAt } from '../../src/rules/cohort.ts';
import { booster202112Campaign } from '../../src/rules/booster-2021-12.ts';
import { evaluateEligibility } from '../../src/rules/eligibility.ts';
import type { AfterDosesCohort, Campaign } from '../../src/rules/campaign.ts';
import { addDays, daysBetween, zonedInstant } from '../../src/rules/time.ts';

const cohortOf = (n: number): AfterDosesCohort => ({ kind: 'after-doses', minDaysSinceLastDose: n, sourceCampaigns: null });
const dayArb = fc.integer({ min: 0, max: 3000 }).map((i) => addDays('2020-12-01', i));
const MS_PER_DAY = 86_400_000;

describe('cohortStatus (days)', () => {
  it('flips from TOO_SOON to OK exactly N days after the last dose, and says that day', () => {
    fc.assert(fc.property(dayArb, fc.integer({ min: 0, max: 400 }), fc.integer({ min: -400, max: 400 }), (last, n, offset) => {
      const today = addDays(last, n + offset);
      const s = cohortStatus(cohortOf(n), last, today);
      const eligibleFrom = addDays(last, n);
      expect(daysBetween(last, eligibleFrom)).toBe(n);
      if (offset >= 0) expect(s).toEqual({ kind: 'OK', lastDoseDay: last, eligibleFrom });
      else expect(s).toEqual({ kind: 'TOO_SOON', lastDoseDay: last, eligibleFrom });
    }));
  });

  it('no earlier dose: NO_EARLIER_DOSE whatever the day', () => {
    fc.assert(fc.property(dayArb, fc.integer({ min: 0, max: 400 }), (today, n) => {
      expect(cohortStatus(cohortOf(n), null, today)).toEqual({ kind: 'NO_EARLIER_DOSE' });
    }));
  });
});

describe('cohortStatusAt (instants in Asia/Seoul)', () => {
  const c: Campaign = booster202112Campaign();

  it('the eligible day begins at 00:00 in Seoul (15:00 UTC the day before), not at UTC midnight', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 700 }).map((i) => addDays('2021-06-01', i)), fc.integer({ min: 1, max: MS_PER_DAY - 1 }), (last, msInto) => {
      const eligibleFrom = addDays(last, 90);
      const midnight = zonedInstant(eligibleFrom, '00:00', 'Asia/Seoul').getTime();
      expect(cohortStatusAt(c, last, new Date(midnight - 1))?.kind).toBe('TOO_SOON');
      expect(cohortStatusAt(c, last, new Date(midnight))?.kind).toBe('OK');
      // Anywhere within that Seoul day (and after), eligible; anywhere within the day before, not.
      expect(cohortStatusAt(c, last, new Date(midnight + msInto))?.kind).toBe('OK');
      expect(cohortStatusAt(c, last, new Date(midnight - msInto))?.kind).toBe('TOO_SOON');
    }));
  });

  it('a worked example: dose 2 on 7 Oct 2021 → bookable from 5 Jan 2022, 00:00 KST = 4 Jan 15:00 UTC', () => {
    expect(cohortStatusAt(c, '2021-10-07', new Date('2022-01-04T14:59:59.999Z'))).toMatchObject({ kind: 'TOO_SOON', eligibleFrom: '2022-01-05' });
    expect(cohortStatusAt(c, '2021-10-07', new Date('2022-01-04T15:00:00Z'))).toMatchObject({ kind: 'OK' });
  });

  it('a campaign without a cohort asks nobody', () => {
    expect(cohortStatusAt({ ...c, cohort: null }, null, new Date('2021-12-10T00:00:00Z'))).toBeNull();
  });
});

describe('evaluateEligibility with a cohort', () => {
  const c = booster202112Campaign();
  const person = { birthDate: '1990-01-01', sex: 'M' as const, foreignResident: false };
  const at = (lastDoseDay: string | null | undefined, now: string, alreadyBooked = false) =>
    evaluateEligibility({ campaign: c, person, inRoster: true, alreadyBooked, now: new Date(now), ...(lastDoseDay !== undefined ? { lastDoseDay } : {}) });

  it('reasons and the cohort view: none, too soon (with the day), eligible in an open window', () => {
    expect(at(null, '2021-12-10T10:00:00+09:00')).toMatchObject({ eligible: false, reasons: ['NO_EARLIER_DOSE'], cohort: { lastDoseDay: null, minDaysSinceLastDose: 90 } });
    expect(at('2021-10-07', '2021-12-10T10:00:00+09:00')).toMatchObject({ eligible: false, reasons: ['TOO_SOON'], cohort: { lastDoseDay: '2021-10-07', eligibleFrom: '2022-01-05' } });
    const ok = at('2021-06-10', '2021-12-10T10:00:00+09:00');
    expect(ok).toMatchObject({ eligible: true, reasons: [], cohort: { lastDoseDay: '2021-06-10', eligibleFrom: '2021-09-08' } });
    expect(ok.window?.seq).toBe(1);
  });

  it('eligible by the cohort but between windows: the window reason, as for any campaign', () => {
    expect(at('2021-06-10', '2022-01-01T10:00:00+09:00').reasons).toEqual(['WINDOW_NOT_YET_OPEN']);
  });

  it('birth range first: a minor is not asked about doses', () => {
    const minor = evaluateEligibility({ campaign: c, person: { ...person, birthDate: '2005-01-01' }, inRoster: true, alreadyBooked: false, now: new Date('2021-12-10T10:00:00+09:00'), lastDoseDay: null });
    expect(minor.reasons).toEqual(['BIRTH_OUT_OF_RANGE']);
  });

  it("the waiting room's pure join rule (no last-dose day given) does not evaluate the cohort", () => {
    expect(at(undefined, '2021-12-10T10:00:00+09:00')).toMatchObject({ eligible: true, reasons: [] });
  });
});
