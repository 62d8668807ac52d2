/**
 * A campaign's editable definition (operators edit it as data: GET and PUT
 * /admin/campaigns/{id}) and its rules, as pure functions: the stored campaign → the definition,
 * and a definition → every problem it has. What bookings already hold is checked against the
 * store separately (definition-sql.ts `changeConflicts`).
 *
 * Not part of the definition, so never changed through it: doses, the dose-2 interval, the blackout
 * shift and the time zone. Capacity is paired on them (each dose-1 slot's dose-2 slot is the day
 * `dose2Day` gives), and bookings hold both days.
 */
import type { AfterDosesCohort, Campaign } from '../rules/campaign.ts';
import { dose2Day } from '../rules/dose-dates.ts';
import { addDays, daysBetween, isoInZone, isRealDay, localDay } from '../rules/time.ts';
import { definitionProblem as problem, type DefinitionProblem } from './definition-shape.ts';

export interface DefinitionWindow {
  seq: number;
  labelKo: string;
  labelEn: string;
  opensAt: string;
  closesAt: string;
  birthDayDigits: number[] | null;
  birthYearFrom: number | null;
  birthYearTo: number | null;
}

export interface DefinitionVaccineRule {
  seq: number;
  sidoCode: string | null;
  dayFrom: string | null;
  dayTo: string | null;
  vaccineId: string;
}

export interface DefinitionBlackout {
  day: string;
  label: string;
}

export interface CampaignDefinition {
  id: string;
  name: { ko: string; en: string };
  birthFrom: string | null;
  birthTo: string | null;
  rosterRequired: boolean;
  proxyAllowed: boolean;
  changeFreezeDays: number;
  cancelUntilDays: number;
  firstShotDay: string;
  lastShotDay: string;
  windows: DefinitionWindow[];
  vaccineRules: DefinitionVaccineRule[];
  blackouts: DefinitionBlackout[];
  /** Who may book by earlier doses (a booster); null: nobody is asked; absent from a PUT: kept. */
  cohort?: AfterDosesCohort | null;
}

/** What a definition is checked against: the store's 시/도 and vaccines. */
export interface DefinitionReferences {
  readonly sidoCodes: ReadonlySet<string>;
  readonly vaccines: ReadonlyMap<string, { doses: number; intervalMinDays: number | null; intervalMaxDays: number | null }>;
  /** Every campaign's id (a cohort's source campaigns name them). */
  readonly campaignIds: ReadonlySet<string>;
}

/** At most a year of dose-1 days: a longer range is a typo in a year. */
export const SHOT_DAYS_MAX = 366;

/** The stored campaign as its definition: window instants in the campaign's zone. */
export function toDefinition(c: Campaign, rules: DefinitionVaccineRule[], blackouts: DefinitionBlackout[]): CampaignDefinition {
  return {
    id: c.id,
    name: { ko: c.nameKo, en: c.nameEn },
    birthFrom: c.birthFrom,
    birthTo: c.birthTo,
    rosterRequired: c.rosterRequired,
    proxyAllowed: c.proxyAllowed,
    changeFreezeDays: c.changeFreezeDays,
    cancelUntilDays: c.cancelUntilDays,
    firstShotDay: c.firstShotDay,
    lastShotDay: c.lastShotDay,
    windows: [...c.windows].sort((a, b) => a.seq - b.seq).map((w) => ({
      seq: w.seq,
      labelKo: w.labelKo,
      labelEn: w.labelEn,
      opensAt: isoInZone(w.opensAt, c.timeZone),
      closesAt: isoInZone(w.closesAt, c.timeZone),
      birthDayDigits: w.birthDayDigits ? [...w.birthDayDigits] : null,
      birthYearFrom: w.birthYearFrom,
      birthYearTo: w.birthYearTo,
    })),
    vaccineRules: rules,
    blackouts,
    cohort: c.cohort ?? null,
  };
}

/** Every problem of a definition that has the schema's shape (definition-shape.ts checked it). */
export function validateDefinition(d: CampaignDefinition, stored: Campaign, refs: DefinitionReferences): DefinitionProblem[] {
  const out: DefinitionProblem[] = [];
  if (d.id !== stored.id) out.push(problem('/id', 'ID_MISMATCH', `Must be the campaign's id (${stored.id}).`, `예약 사업 ID(${stored.id})와 같아야 합니다.`));
  const days = checkDays(d, out);
  checkWindows(d, stored.timeZone, days, out);
  checkBlackouts(d, stored, days, out);
  checkVaccineRules(d, stored, refs, days, out);
  checkCohort(d, refs, out);
  return out;
}

/** The cohort the definition leaves the campaign with (absent: the stored one). */
function cohortAfter(d: CampaignDefinition, stored: Campaign): AfterDosesCohort | null {
  return d.cohort === undefined ? (stored.cohort ?? null) : d.cohort;
}

function checkCohort(d: CampaignDefinition, refs: DefinitionReferences, out: DefinitionProblem[]): void {
  const sources = d.cohort?.sourceCampaigns;
  if (!sources) return;
  const seen = new Set<string>();
  sources.forEach((id, i) => {
    const at = `/cohort/sourceCampaigns/${i}`;
    if (id === d.id) out.push(problem(at, 'COHORT_SOURCE_SELF', "A campaign's own bookings are not earlier doses.", '이 사업 자체의 예약은 이전 접종이 아닙니다.'));
    else if (!refs.campaignIds.has(id)) out.push(problem(at, 'COHORT_SOURCE_UNKNOWN', 'No such campaign.', '없는 예약 사업입니다.'));
    if (seen.has(id)) out.push(problem(at, 'COHORT_SOURCE_DUPLICATE', 'This campaign is listed twice.', '같은 사업이 두 번 있습니다.'));
    seen.add(id);
  });
}

interface DaysOk {
  /** The shot-day range is real and ordered: the day-based checks can run. */
  readonly shotDays: boolean;
  readonly birthRange: boolean;
}

function checkDays(d: CampaignDefinition, out: DefinitionProblem[]): DaysOk {
  const real = (path: string, day: string | null) => {
    if (day === null || isRealDay(day)) return true;
    out.push(problem(path, 'DAY_INVALID', 'Not a real calendar day (YYYY-MM-DD).', '실제 날짜가 아닙니다(YYYY-MM-DD).'));
    return false;
  };
  const birthRange = real('/birthFrom', d.birthFrom) && real('/birthTo', d.birthTo);
  if (birthRange && d.birthFrom !== null && d.birthTo !== null && d.birthFrom > d.birthTo) {
    out.push(problem('/birthTo', 'BIRTH_RANGE_REVERSED', 'birthTo is before birthFrom.', '출생일 범위의 끝이 시작보다 이릅니다.'));
  }
  let shotDays = real('/firstShotDay', d.firstShotDay) && real('/lastShotDay', d.lastShotDay);
  if (shotDays && d.firstShotDay > d.lastShotDay) {
    out.push(problem('/lastShotDay', 'SHOT_DAYS_REVERSED', 'lastShotDay is before firstShotDay.', '마지막 접종일이 첫 접종일보다 이릅니다.'));
    shotDays = false;
  } else if (shotDays && daysBetween(d.firstShotDay, d.lastShotDay) >= SHOT_DAYS_MAX) {
    out.push(problem('/lastShotDay', 'SHOT_DAYS_TOO_LONG', `At most ${SHOT_DAYS_MAX} dose-1 days.`, `1차 접종 기간은 최대 ${SHOT_DAYS_MAX}일입니다.`));
    shotDays = false;
  }
  d.vaccineRules.forEach((r, i) => {
    if (real(`/vaccineRules/${i}/dayFrom`, r.dayFrom) && real(`/vaccineRules/${i}/dayTo`, r.dayTo) && r.dayFrom !== null && r.dayTo !== null && r.dayFrom > r.dayTo) {
      out.push(problem(`/vaccineRules/${i}/dayTo`, 'RULE_DAYS_REVERSED', 'dayTo is before dayFrom.', '적용 기간의 끝이 시작보다 이릅니다.'));
    }
  });
  d.blackouts.forEach((b, i) => real(`/blackouts/${i}/day`, b.day));
  return { shotDays, birthRange };
}

function duplicateSeqs(items: readonly { seq: number }[], path: string, out: DefinitionProblem[]): void {
  const seen = new Set<number>();
  items.forEach((item, i) => {
    if (seen.has(item.seq)) out.push(problem(`${path}/${i}/seq`, 'SEQ_DUPLICATE', `Another item already has seq ${item.seq}.`, `순번 ${item.seq}이(가) 이미 있습니다.`));
    seen.add(item.seq);
  });
}

interface ParsedWindow {
  readonly index: number;
  readonly w: DefinitionWindow;
  readonly opens: number;
  readonly closes: number;
}

function checkWindows(d: CampaignDefinition, timeZone: string, days: DaysOk, out: DefinitionProblem[]): void {
  duplicateSeqs(d.windows, '/windows', out);
  const parsed: ParsedWindow[] = [];
  d.windows.forEach((w, i) => {
    const at = `/windows/${i}`;
    const opens = Date.parse(w.opensAt);
    const closes = Date.parse(w.closesAt);
    if (Number.isNaN(opens)) out.push(problem(`${at}/opensAt`, 'INSTANT_INVALID', 'Not a real instant.', '올바른 일시가 아닙니다.'));
    if (Number.isNaN(closes)) out.push(problem(`${at}/closesAt`, 'INSTANT_INVALID', 'Not a real instant.', '올바른 일시가 아닙니다.'));
    if (w.birthDayDigits && new Set(w.birthDayDigits).size !== w.birthDayDigits.length) {
      out.push(problem(`${at}/birthDayDigits`, 'DIGITS_DUPLICATE', 'A digit is listed twice.', '같은 끝자리가 두 번 있습니다.'));
    }
    if (w.birthYearFrom !== null && w.birthYearTo !== null && w.birthYearFrom > w.birthYearTo) {
      out.push(problem(`${at}/birthYearTo`, 'WINDOW_YEARS_REVERSED', 'birthYearTo is before birthYearFrom.', '출생연도 범위의 끝이 시작보다 이릅니다.'));
    } else if (days.birthRange && !yearsMeetCohort(w, d)) {
      out.push(problem(`${at}/birthYearFrom`, 'WINDOW_ADMITS_NOBODY', "The window's birth years are outside the campaign's birth range.", '이 예약 기간의 출생연도가 사업 대상 출생일 범위를 벗어납니다.'));
    }
    if (Number.isNaN(opens) || Number.isNaN(closes)) return;
    if (closes <= opens) {
      out.push(problem(`${at}/closesAt`, 'WINDOW_CLOSES_BEFORE_OPENS', 'closesAt must be after opensAt.', '마감 시각은 시작 시각보다 늦어야 합니다.'));
      return;
    }
    if (days.shotDays && localDay(new Date(opens), timeZone) > d.lastShotDay) {
      out.push(problem(`${at}/opensAt`, 'WINDOW_AFTER_SHOT_DAYS', 'The window opens after the last dose-1 day: nothing is left to book.', '마지막 1차 접종일 이후에 시작합니다. 예약할 날짜가 없습니다.'));
    }
    parsed.push({ index: i, w, opens, closes });
  });
  checkWindowOrder(parsed, out);
}

/** Windows are listed by seq, a later one never opening before an earlier one; two windows open at once admit different people. */
function checkWindowOrder(parsed: readonly ParsedWindow[], out: DefinitionProblem[]): void {
  for (let k = 1; k < parsed.length; k++) {
    const prev = parsed[k - 1] as ParsedWindow;
    const cur = parsed[k] as ParsedWindow;
    if (cur.w.seq < prev.w.seq || cur.opens < prev.opens) {
      out.push(problem(`/windows/${cur.index}`, 'WINDOW_ORDER', `List windows by seq, each opening no earlier than the one before (window ${prev.w.seq}).`, `예약 기간은 순번 순서로, 앞 기간(${prev.w.seq})보다 이르지 않게 시작하도록 적어 주세요.`));
    }
  }
  for (let j = 1; j < parsed.length; j++) {
    const b = parsed[j] as ParsedWindow;
    const clash = parsed.slice(0, j).find((a) => a.opens < b.closes && b.opens < a.closes && cohortsMeet(a.w, b.w));
    if (clash) {
      out.push(problem(`/windows/${b.index}`, 'WINDOW_OVERLAP', `Open at the same time as window ${clash.w.seq} for some of the same people: split the times or the cohorts.`, `${clash.w.seq}번 예약 기간과 같은 시간에 같은 대상자가 겹칩니다. 시간이나 대상을 나누어 주세요.`));
    }
  }
}

function rangesMeet(aFrom: number | null, aTo: number | null, bFrom: number | null, bTo: number | null): boolean {
  return (aFrom === null || bTo === null || aFrom <= bTo) && (bFrom === null || aTo === null || bFrom <= aTo);
}

function cohortsMeet(a: DefinitionWindow, b: DefinitionWindow): boolean {
  const digits = a.birthDayDigits === null || b.birthDayDigits === null || a.birthDayDigits.some((x) => b.birthDayDigits?.includes(x));
  return digits && rangesMeet(a.birthYearFrom, a.birthYearTo, b.birthYearFrom, b.birthYearTo);
}

function yearsMeetCohort(w: DefinitionWindow, d: CampaignDefinition): boolean {
  const year = (day: string | null) => (day === null ? null : Number(day.slice(0, 4)));
  return rangesMeet(w.birthYearFrom, w.birthYearTo, year(d.birthFrom), year(d.birthTo));
}

/** Dose-1 day → its dose-2 day under the definition's blackouts; null when the blackouts never end (or no dose 2). */
export function dose2Days(d: Pick<CampaignDefinition, 'firstShotDay' | 'lastShotDay'>, stored: Campaign, blackoutDays: readonly string[]): Map<string, string> | null {
  if (stored.doses !== 2 || stored.dose2IntervalDays === null) return null;
  const out = new Map<string, string>();
  try {
    for (let day = d.firstShotDay; day <= d.lastShotDay; day = addDays(day, 1)) {
      out.set(day, dose2Day(day, stored.dose2IntervalDays, blackoutDays, stored.blackoutShiftDays));
    }
  } catch {
    return null;
  }
  return out;
}

function checkBlackouts(d: CampaignDefinition, stored: Campaign, days: DaysOk, out: DefinitionProblem[]): void {
  const seen = new Set<string>();
  d.blackouts.forEach((b, i) => {
    if (seen.has(b.day)) out.push(problem(`/blackouts/${i}/day`, 'BLACKOUT_DUPLICATE', 'This day is listed twice.', '같은 날짜가 두 번 있습니다.'));
    seen.add(b.day);
    if (stored.doses !== 2) {
      out.push(problem(`/blackouts/${i}`, 'BLACKOUT_NO_DOSE2', 'A one-dose campaign has no dose 2 to keep off a day.', '1회 접종 사업에는 2차 접종 제외일이 없습니다.'));
      return;
    }
    if (!days.shotDays || !isRealDay(b.day)) return;
    const last = addDays(d.lastShotDay, stored.dose2IntervalDays ?? 0);
    if (b.day < d.firstShotDay || b.day > last) {
      out.push(problem(`/blackouts/${i}/day`, 'BLACKOUT_OUTSIDE_RANGE', `No dose 2 can fall on this day: blackout days lie within ${d.firstShotDay}..${last}.`, `2차 접종이 있을 수 없는 날입니다. 제외일은 ${d.firstShotDay}~${last} 사이여야 합니다.`));
    }
  });
  if (stored.doses === 2 && days.shotDays && d.blackouts.every((b) => isRealDay(b.day)) && dose2Days(d, stored, d.blackouts.map((b) => b.day)) === null) {
    out.push(problem('/blackouts', 'BLACKOUT_ENDLESS', 'Some dose 2 would be moved off blackout days without end; shorten the run of blackout days.', '연속된 제외일이 너무 길어 2차 접종일을 정할 수 없습니다.'));
  }
}

function checkVaccineRules(d: CampaignDefinition, stored: Campaign, refs: DefinitionReferences, days: DaysOk, out: DefinitionProblem[]): void {
  duplicateSeqs(d.vaccineRules, '/vaccineRules', out);
  const blackoutsOk = d.blackouts.every((b) => isRealDay(b.day));
  const pairs = days.shotDays && blackoutsOk ? dose2Days(d, stored, d.blackouts.map((b) => b.day)) : null;
  d.vaccineRules.forEach((r, i) => {
    const at = `/vaccineRules/${i}`;
    if (r.sidoCode !== null && !refs.sidoCodes.has(r.sidoCode)) out.push(problem(`${at}/sidoCode`, 'REGION_UNKNOWN', 'No such 시/도.', '없는 시/도 코드입니다.'));
    const v = refs.vaccines.get(r.vaccineId);
    if (!v) {
      out.push(problem(`${at}/vaccineId`, 'VACCINE_UNKNOWN', 'No such vaccine.', '없는 백신입니다.'));
      return;
    }
    // A booster (one dose, a cohort by earlier doses) gives one dose of a primary-series vaccine.
    const booster = stored.doses === 1 && cohortAfter(d, stored) !== null;
    if (v.doses !== stored.doses && !booster) {
      out.push(problem(`${at}/vaccineId`, 'VACCINE_DOSES_MISMATCH', `This vaccine takes ${v.doses} dose(s); the campaign gives ${stored.doses}.`, `이 백신은 ${v.doses}회 접종이지만 이 사업은 ${stored.doses}회 접종입니다.`));
      return;
    }
    if (!pairs) return;
    for (const [day1, day2] of pairs) {
      if ((r.dayFrom !== null && day1 < r.dayFrom) || (r.dayTo !== null && day1 > r.dayTo)) continue;
      const gap = daysBetween(day1, day2);
      if (gap < (v.intervalMinDays ?? 0) || gap > (v.intervalMaxDays ?? Infinity)) {
        out.push(problem(`${at}/vaccineId`, 'VACCINE_INTERVAL_NOT_ALLOWED', `Dose 2 of ${day1} falls ${gap} days later (blackout days moved it), outside ${r.vaccineId}'s ${v.intervalMinDays}–${v.intervalMaxDays} days.`, `${day1} 1차 접종의 2차 접종이 ${gap}일 뒤(제외일로 이동)로, 이 백신의 접종 간격 ${v.intervalMinDays}~${v.intervalMaxDays}일을 벗어납니다.`));
        break;
      }
    }
  });
}
