/**
 * The booster (third dose, 추가접종) pre-reservation of December 2021 for adults, as data: what
 * `yeyak seed --scenario booster-2021-12` writes to the store. Its cohort is by earlier doses:
 * from 13 Dec 2021 Korea shortened the interval for adults (18+) to 3 months (90 days) after the
 * last dose of the primary series; the booster was an mRNA vaccine (Pfizer, or Moderna) whatever
 * the earlier doses were (mixed schedules, 교차접종). One dose; leftover doses could be booked the
 * same day. All wall times are Asia/Seoul.
 */
import type { Campaign } from './campaign.ts';
import { KOREA_2021_08_ID } from './korea-2021-08.ts';
import { zonedInstant } from './time.ts';

const TZ = 'Asia/Seoul';

export const BOOSTER_2021_12_ID = 'booster-2021-12';
/** 3 months after the last dose, as days (the rule from 13 Dec 2021). */
export const BOOSTER_MIN_DAYS_SINCE_LAST_DOSE = 90;

/** A fresh Campaign object (callers may not share mutable Date instances). */
export function booster202112Campaign(): Campaign {
  return {
    id: BOOSTER_2021_12_ID,
    nameKo: '코로나19 추가접종(3차) 사전예약 (2021년 12월)',
    nameEn: 'COVID-19 booster (third dose) pre-reservation (December 2021)',
    timeZone: TZ,
    // Adults: 18 and over at the end of 2021.
    birthFrom: null,
    birthTo: '2003-12-31',
    rosterRequired: false,
    proxyAllowed: true,
    doses: 1,
    dose2IntervalDays: null,
    changeFreezeDays: 1,
    cancelUntilDays: 1,
    blackoutShiftDays: -1,
    firstShotDay: '2021-12-13',
    lastShotDay: '2022-01-29',
    // No national opening rush for the booster: booking without the waiting room.
    queueEnabled: false,
    queue: { ratePerS: 200, activeMax: 5000, shuffleAtOpening: false, powBits: 0 },
    queueOrder: 'verify-first',
    noticeKo: '마지막 접종일로부터 3개월(90일)이 지나면 예약할 수 있습니다. 이전에 맞은 백신과 관계없이 화이자 또는 모더나를 접종합니다(교차접종).',
    noticeEn: 'You can book 3 months (90 days) after your last dose. The booster is Pfizer or Moderna, whichever vaccine you had before (mixed schedules).',
    windows: [
      {
        seq: 1,
        labelKo: '12월 사전예약 (12/6~12/31)',
        labelEn: 'December pre-reservation (Dec 6 – 31)',
        opensAt: zonedInstant('2021-12-06', '00:00', TZ),
        closesAt: zonedInstant('2021-12-31', '18:00', TZ),
        birthDayDigits: null,
        birthYearFrom: null,
        birthYearTo: null,
      },
      {
        seq: 2,
        labelKo: '1월 사전예약 (1/3~1/28)',
        labelEn: 'January pre-reservation (Jan 3 – 28)',
        opensAt: zonedInstant('2022-01-03', '00:00', TZ),
        closesAt: zonedInstant('2022-01-28', '18:00', TZ),
        birthDayDigits: null,
        birthYearFrom: null,
        birthYearTo: null,
      },
    ],
    blackoutDays: [],
    cohort: { kind: 'after-doses', minDaysSinceLastDose: BOOSTER_MIN_DAYS_SINCE_LAST_DOSE, sourceCampaigns: [KOREA_2021_08_ID] },
  };
}
