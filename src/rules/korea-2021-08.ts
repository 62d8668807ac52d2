/**
 * The August 2021 Korean pre-reservation for ages 18–49 (16.2M eligible), as it really ran. This
 * object is what `yeyak seed --scenario korea-2021-08` writes to the store: the single source of
 * truth for the scenario's rules. All wall times are Asia/Seoul.
 */
import type { Campaign, CampaignWindow } from './campaign.ts';
import { addDays, zonedInstant } from './time.ts';

const TZ = 'Asia/Seoul';
const OPEN_AT = '20:00';
const CLOSE_AT = '18:00';

/** Rotation (10부제): the window opening on 9..18 Aug admits birth days ending in D mod 10. */
const ROTATION_FIRST_DAY = 9;
const ROTATION_DAYS = 10;

const ORDINAL_SUFFIX: Readonly<Record<number, string>> = { 1: 'st', 2: 'nd', 3: 'rd', 21: 'st', 22: 'nd', 23: 'rd', 31: 'st' };

/** Days of the month whose last digit is `digit`: 9 → [9, 19, 29], 0 → [10, 20, 30], 1 → [1, 11, 21, 31]. */
function daysEndingIn(digit: number): number[] {
  const days: number[] = [];
  for (let d = 1; d <= 31; d++) if (d % 10 === digit) days.push(d);
  return days;
}

/** A window from `openDay` 20:00 to the next day 18:00, Seoul time. */
function overnight(openDay: string): Pick<CampaignWindow, 'opensAt' | 'closesAt'> {
  return { opensAt: zonedInstant(openDay, OPEN_AT, TZ), closesAt: zonedInstant(addDays(openDay, 1), CLOSE_AT, TZ) };
}

function rotationWindow(index: number): CampaignWindow {
  const d = ROTATION_FIRST_DAY + index;
  const digit = d % 10;
  const days = daysEndingIn(digit);
  return {
    seq: index + 1,
    labelKo: `${days.join('·')}일생 (8/${d})`,
    labelEn: `Born on the ${days.map((n) => `${n}${ORDINAL_SUFFIX[n] ?? 'th'}`).join('/')} (Aug ${d})`,
    ...overnight(`2021-08-${String(d).padStart(2, '0')}`),
    birthDayDigits: [digit],
    birthYearFrom: null,
    birthYearTo: null,
  };
}

function catchUpWindow(seq: number, augustDay: number, fromYear: number, toYear: number): CampaignWindow {
  return {
    seq,
    labelKo: `추가 예약: ${fromYear}~${toYear}년생 (8/${augustDay})`,
    labelEn: `Catch-up: born ${fromYear}–${toYear} (Aug ${augustDay})`,
    ...overnight(`2021-08-${augustDay}`),
    birthDayDigits: null,
    birthYearFrom: fromYear,
    birthYearTo: toYear,
  };
}

function everyoneWindow(seq: number): CampaignWindow {
  return {
    seq,
    labelKo: '전체 대상자 (8/21~9/18)',
    labelEn: 'Everyone eligible (Aug 21 – Sep 18)',
    opensAt: zonedInstant('2021-08-21', OPEN_AT, TZ),
    closesAt: zonedInstant('2021-09-18', CLOSE_AT, TZ),
    birthDayDigits: null,
    birthYearFrom: null,
    birthYearTo: null,
  };
}

function windows(): CampaignWindow[] {
  const rotation = Array.from({ length: ROTATION_DAYS }, (_, i) => rotationWindow(i));
  return [
    ...rotation,
    catchUpWindow(ROTATION_DAYS + 1, 19, 1972, 1985), // ages 36–49
    catchUpWindow(ROTATION_DAYS + 2, 20, 1986, 2003), // ages 18–35
    everyoneWindow(ROTATION_DAYS + 3),
  ];
}

export const KOREA_2021_08_ID = 'korea-2021-08';

/** A fresh Campaign object (callers may not share mutable Date instances). */
export function korea202108Campaign(): Campaign {
  return {
    id: KOREA_2021_08_ID,
    nameKo: '18~49세 코로나19 예방접종 사전예약 (2021년 8월)',
    nameEn: 'COVID-19 vaccination pre-reservation, ages 18–49 (August 2021)',
    timeZone: TZ,
    birthFrom: '1972-01-01',
    birthTo: '2003-12-31',
    // Eligibility follows from the resident registration number alone; no separate roster.
    rosterRequired: false,
    proxyAllowed: false,
    doses: 2,
    dose2IntervalDays: 42,
    // Deliveries were fixed two weeks ahead, so no change within 14 days of the shot.
    changeFreezeDays: 14,
    cancelUntilDays: 2,
    // Second doses falling on Chuseok moved five days earlier.
    blackoutShiftDays: -5,
    firstShotDay: '2021-08-26',
    lastShotDay: '2021-10-02',
    queueEnabled: true,
    // ~2M bookings/hour was the August 2021 capacity; admit a little above it, shuffle the
    // pre-opening crowd once at 20:00 so that arriving at 19:59:59 beats no one.
    queue: { ratePerS: 600, activeMax: 20_000, shuffleAtOpening: true, powBits: 0 },
    // August 2021's order (after July's queue-first collapse): verify first, then queue — only a
    // verified person joins, and the place is the person's (one place per person, any device).
    queueOrder: 'verify-first',
    noticeKo: '생년월일 끝자리에 따라 예약일이 정해집니다(10부제). 대리 예약은 할 수 없습니다.',
    noticeEn: 'Your booking day depends on the last digit of your day of birth. Booking for someone else is not allowed.',
    windows: windows(),
    blackoutDays: ['2021-09-20', '2021-09-21', '2021-09-22'],
  };
}
