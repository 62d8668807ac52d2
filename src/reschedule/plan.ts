/**
 * A bulk dose-2 move, as an operator writes it (a JSON file for `yeyak reschedule --plan`, or the
 * body of POST /api/v1/admin/reschedules). Validated here, once, into a `ReschedulePlan`; every
 * problem is reported with its field and a stable code, all at once:
 *
 *   { "campaignId": "korea-2021-08", "vaccineId": "mrna-p",
 *     "dose1From": "2021-08-26", "dose1To": "2021-09-30",
 *     "interval": { "minDays": 35, "maxDays": 42 },   // or { "days": 42 }
 *     "pick": "first",                                 // or "spread" (default "first")
 *     "avoidDays": ["2021-09-20", "2021-09-21", "2021-09-22"],
 *     "shiftDays": -5,                                 // a day to avoid moves this many days, again until allowed
 *     "clinicIds": ["C000001"],                        // optional: only these clinics
 *     "batchSize": 2000 }                              // optional, 1–10,000
 *
 * pick "first": the earliest plan day whose slot has room. "spread": each reservation tries the
 * plan days in an order rotated by its id, so the moves fill the days evenly.
 */
import { daysBetween, isRealDay } from '../rules/time.ts';

export const RESCHEDULE_BATCH_DEFAULT = 2_000; // reservations per batch (one transaction)
export const RESCHEDULE_BATCH_MAX = 10_000; // the job table's CHECK
export const RESCHEDULE_INTERVAL_DAYS_MAX = 180; // a dose-2 interval beyond half a year is a typo
export const RESCHEDULE_INTERVAL_SPAN_MAX = 31; // plan days tried per reservation
export const RESCHEDULE_DOSE1_SPAN_DAYS_MAX = 366;
export const RESCHEDULE_AVOID_DAYS_MAX = 366;
export const RESCHEDULE_SHIFT_DAYS_MAX = 30;
export const RESCHEDULE_CLINICS_MAX = 20_000;

export interface ReschedulePlan {
  readonly campaignId: string;
  readonly vaccineId: string;
  readonly dose1From: string;
  readonly dose1To: string;
  readonly interval: { readonly minDays: number; readonly maxDays: number };
  readonly pick: 'first' | 'spread';
  readonly avoidDays: readonly string[];
  readonly shiftDays: number;
  readonly clinicIds: readonly string[] | null;
  readonly batchSize: number;
}

/** The stable codes of a plan problem; `field` is a path such as `interval.minDays`. */
export type PlanIssueCode = 'REQUIRED' | 'TYPE' | 'FORMAT' | 'RANGE' | 'ORDER' | 'UNKNOWN_FIELD' | 'UNKNOWN' | 'DUPLICATE';

export interface PlanIssue {
  readonly field: string;
  readonly code: PlanIssueCode;
}

export type PlanResult = { ok: true; plan: ReschedulePlan } | { ok: false; issues: PlanIssue[] };

const FIELDS = ['campaignId', 'vaccineId', 'dose1From', 'dose1To', 'interval', 'pick', 'avoidDays', 'shiftDays', 'clinicIds', 'batchSize'];
const ID_RE = /^[A-Za-z0-9-]{1,64}$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkId(v: unknown, field: string, issues: PlanIssue[]): string {
  if (v === undefined) issues.push({ field, code: 'REQUIRED' });
  else if (typeof v !== 'string') issues.push({ field, code: 'TYPE' });
  else if (!ID_RE.test(v)) issues.push({ field, code: 'FORMAT' });
  else return v;
  return '';
}

function checkDay(v: unknown, field: string, issues: PlanIssue[], required = true): string {
  if (v === undefined) {
    if (required) issues.push({ field, code: 'REQUIRED' });
  } else if (typeof v !== 'string') issues.push({ field, code: 'TYPE' });
  else if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || !isRealDay(v)) issues.push({ field, code: 'FORMAT' });
  else return v;
  return '';
}

function checkInt(v: unknown, field: string, min: number, max: number, issues: PlanIssue[]): number | null {
  if (v === undefined) issues.push({ field, code: 'REQUIRED' });
  else if (typeof v !== 'number' || !Number.isInteger(v)) issues.push({ field, code: 'TYPE' });
  else if (v < min || v > max) issues.push({ field, code: 'RANGE' });
  else return v;
  return null;
}

function checkInterval(v: unknown, issues: PlanIssue[]): { minDays: number; maxDays: number } {
  const none = { minDays: 0, maxDays: 0 };
  if (v === undefined) return issues.push({ field: 'interval', code: 'REQUIRED' }), none;
  if (!isRecord(v)) return issues.push({ field: 'interval', code: 'TYPE' }), none;
  for (const k of Object.keys(v)) if (!['days', 'minDays', 'maxDays'].includes(k)) issues.push({ field: `interval.${k}`, code: 'UNKNOWN_FIELD' });
  if (v.days !== undefined) {
    if (v.minDays !== undefined || v.maxDays !== undefined) return issues.push({ field: 'interval', code: 'FORMAT' }), none;
    const days = checkInt(v.days, 'interval.days', 1, RESCHEDULE_INTERVAL_DAYS_MAX, issues);
    return days === null ? none : { minDays: days, maxDays: days };
  }
  const min = checkInt(v.minDays, 'interval.minDays', 1, RESCHEDULE_INTERVAL_DAYS_MAX, issues);
  const max = checkInt(v.maxDays, 'interval.maxDays', 1, RESCHEDULE_INTERVAL_DAYS_MAX, issues);
  if (min === null || max === null) return none;
  if (min > max) return issues.push({ field: 'interval.maxDays', code: 'ORDER' }), none;
  if (max - min + 1 > RESCHEDULE_INTERVAL_SPAN_MAX) return issues.push({ field: 'interval.maxDays', code: 'RANGE' }), none;
  return { minDays: min, maxDays: max };
}

function checkList<T>(v: unknown, field: string, max: number, item: (x: unknown, f: string) => T, issues: PlanIssue[]): T[] {
  if (!Array.isArray(v)) return issues.push({ field, code: 'TYPE' }), [];
  if (v.length > max) return issues.push({ field, code: 'RANGE' }), [];
  const out = v.map((x, i) => item(x, `${field}[${i}]`));
  if (new Set(out).size !== out.length) issues.push({ field, code: 'DUPLICATE' });
  return out;
}

/** Validates a plan as parsed from JSON; every problem at once, in field order. */
export function parsePlan(input: unknown): PlanResult {
  const issues: PlanIssue[] = [];
  if (!isRecord(input)) return { ok: false, issues: [{ field: '', code: 'TYPE' }] };
  for (const k of Object.keys(input)) if (!FIELDS.includes(k)) issues.push({ field: k, code: 'UNKNOWN_FIELD' });
  const campaignId = checkId(input.campaignId, 'campaignId', issues);
  const vaccineId = checkId(input.vaccineId, 'vaccineId', issues);
  const dose1From = checkDay(input.dose1From, 'dose1From', issues);
  const dose1To = checkDay(input.dose1To, 'dose1To', issues);
  if (dose1From && dose1To) {
    if (dose1From > dose1To) issues.push({ field: 'dose1To', code: 'ORDER' });
    else if (daysBetween(dose1From, dose1To) >= RESCHEDULE_DOSE1_SPAN_DAYS_MAX) issues.push({ field: 'dose1To', code: 'RANGE' });
  }
  const interval = checkInterval(input.interval, issues);
  let pick: 'first' | 'spread' = 'first';
  if (input.pick !== undefined) {
    if (input.pick === 'first' || input.pick === 'spread') pick = input.pick;
    else issues.push({ field: 'pick', code: typeof input.pick === 'string' ? 'FORMAT' : 'TYPE' });
  }
  const avoidDays = input.avoidDays === undefined ? [] : checkList(input.avoidDays, 'avoidDays', RESCHEDULE_AVOID_DAYS_MAX, (x, f) => checkDay(x, f, issues), issues);
  let shiftDays = -5; // the 2021 rule: a Chuseok date moved 5 days earlier
  if (input.shiftDays !== undefined) {
    const s = checkInt(input.shiftDays, 'shiftDays', -RESCHEDULE_SHIFT_DAYS_MAX, RESCHEDULE_SHIFT_DAYS_MAX, issues);
    if (s === 0) issues.push({ field: 'shiftDays', code: 'RANGE' });
    else if (s !== null) shiftDays = s;
  }
  const clinicIds = input.clinicIds === undefined || input.clinicIds === null ? null : checkList(input.clinicIds, 'clinicIds', RESCHEDULE_CLINICS_MAX, (x, f) => checkId(x, f, issues), issues);
  if (clinicIds !== null && clinicIds.length === 0) issues.push({ field: 'clinicIds', code: 'RANGE' });
  const batchSize = input.batchSize === undefined ? RESCHEDULE_BATCH_DEFAULT : checkInt(input.batchSize, 'batchSize', 1, RESCHEDULE_BATCH_MAX, issues) ?? 0;
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, plan: { campaignId, vaccineId, dose1From, dose1To, interval, pick, avoidDays: [...avoidDays].sort(), shiftDays, clinicIds, batchSize } };
}
