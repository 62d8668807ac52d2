import { errorSchema } from '../core/http.ts';
import { dateField, idParam, idParams, textField } from '../core/schemas.ts';
import { MIN_DAYS_SINCE_LAST_DOSE_MAX } from '../rules/cohort.ts';

/**
 * The operator's campaign routes' schemas (OpenAPI document, serializer). The definition's schema
 * is also what `checkShape` (definition-shape.ts) walks to list every shape problem of a PUT body,
 * so the document and the check cannot drift.
 */

/** An instant with its offset, e.g. '2021-08-11T20:00:00+09:00' (GET answers in the campaign's zone). */
const instantField = {
  type: 'string',
  minLength: 16,
  maxLength: 35,
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,3})?)?(Z|[+-][0-9]{2}:[0-9]{2})$',
} as const;
const nullableDate = { ...dateField, nullable: true } as const;
/** Birth years a window may name: 1870 (the oldest living people) to 2100. */
const birthYear = { type: 'integer', minimum: 1870, maximum: 2100, nullable: true } as const;
/** Days a rule may hold: the freeze and cancel windows are at most 60 days. */
const policyDays = { type: 'integer', minimum: 0, maximum: 60 } as const;

export const WINDOWS_MAX = 100;
export const VACCINE_RULES_MAX = 200;
export const BLACKOUTS_MAX = 366;

const windowDefinition = {
  type: 'object',
  additionalProperties: false,
  required: ['seq', 'labelKo', 'labelEn', 'opensAt', 'closesAt', 'birthDayDigits', 'birthYearFrom', 'birthYearTo'],
  properties: {
    seq: { type: 'integer', minimum: 1, maximum: 10_000 },
    labelKo: textField(100),
    labelEn: textField(100),
    opensAt: instantField,
    closesAt: instantField,
    birthDayDigits: {
      type: 'array',
      nullable: true,
      minItems: 1,
      maxItems: 10,
      description: 'last digits of the day of birth admitted (9 → born on the 9th, 19th, 29th); null admits any',
      items: { type: 'integer', minimum: 0, maximum: 9 },
    },
    birthYearFrom: birthYear,
    birthYearTo: birthYear,
  },
} as const;

const vaccineRuleDefinition = {
  type: 'object',
  additionalProperties: false,
  required: ['seq', 'sidoCode', 'dayFrom', 'dayTo', 'vaccineId'],
  description: 'which vaccine dose-1 capacity of a 시/도 gets on which days: the first rule (lowest seq) that matches wins',
  properties: {
    seq: { type: 'integer', minimum: 1, maximum: 10_000 },
    sidoCode: { type: 'string', minLength: 2, maxLength: 2, pattern: '^[0-9]{2}$', nullable: true, description: '시/도 code; null: every region' },
    dayFrom: nullableDate,
    dayTo: nullableDate,
    vaccineId: idParam,
  },
} as const;

const blackoutDefinition = {
  type: 'object',
  additionalProperties: false,
  required: ['day', 'label'],
  properties: { day: dateField, label: textField(100) },
} as const;

/** Source campaigns a cohort may name. */
export const COHORT_SOURCES_MAX = 20;

const cohortDefinition = {
  type: 'object',
  nullable: true,
  additionalProperties: false,
  required: ['kind', 'minDaysSinceLastDose', 'sourceCampaigns'],
  description: "who may book by their earlier doses (a booster): the last dose, in a source campaign or an uploaded vaccination record, at least minDaysSinceLastDose days ago; null: nobody is asked. Absent from a PUT: kept as it is",
  properties: {
    kind: { type: 'string', enum: ['after-doses'] },
    minDaysSinceLastDose: { type: 'integer', minimum: 0, maximum: MIN_DAYS_SINCE_LAST_DOSE_MAX },
    sourceCampaigns: { type: 'array', nullable: true, minItems: 1, maxItems: COHORT_SOURCES_MAX, items: idParam, description: 'campaigns whose bookings count as earlier doses; null: every other campaign' },
  },
} as const;

/** A campaign's editable definition: what GET answers and PUT takes. */
export const campaignDefinitionSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'id', 'name', 'birthFrom', 'birthTo', 'rosterRequired', 'proxyAllowed', 'changeFreezeDays', 'cancelUntilDays',
    'firstShotDay', 'lastShotDay', 'windows', 'vaccineRules', 'blackouts',
  ],
  properties: {
    id: idParam,
    name: { type: 'object', additionalProperties: false, required: ['ko', 'en'], properties: { ko: textField(200), en: textField(200) } },
    birthFrom: nullableDate,
    birthTo: nullableDate,
    rosterRequired: { type: 'boolean' },
    proxyAllowed: { type: 'boolean' },
    changeFreezeDays: { ...policyDays, description: 'no change when the current or the new dose-1 date is fewer than this many days away' },
    cancelUntilDays: { ...policyDays, description: 'cancellation allowed until this many days before the dose-1 date' },
    firstShotDay: dateField,
    lastShotDay: dateField,
    windows: { type: 'array', minItems: 1, maxItems: WINDOWS_MAX, items: windowDefinition },
    vaccineRules: { type: 'array', maxItems: VACCINE_RULES_MAX, items: vaccineRuleDefinition },
    blackouts: { type: 'array', maxItems: BLACKOUTS_MAX, description: 'days with no dose 2 (dose 2 moves by the campaign\'s shift)', items: blackoutDefinition },
    cohort: cohortDefinition,
  },
} as const;

const problemItem = {
  path: {
    path: { type: 'string', description: 'JSON pointer into the body, e.g. /windows/2/closesAt' },
    code: { type: 'string' }, message: { type: 'string' }, messageKo: { type: 'string' },
  },
  row: {
    row: { type: 'integer', description: 'as a spreadsheet shows it: the header is row 1' },
    column: { type: 'string', nullable: true, description: "the header's name of the field; null: the row or the file" },
    code: { type: 'string' }, message: { type: 'string' }, messageKo: { type: 'string' },
  },
} as const;

/** The catalogue's error body (core/http.ts) with its details spelled out: every problem, and how many there were. */
const problemList = (rowKey: 'path' | 'row') => ({
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      ...errorSchema.properties.error,
      properties: {
        ...errorSchema.properties.error.properties,
        details: {
          type: 'object',
          additionalProperties: true,
          properties: {
            errorCount: { type: 'integer' },
            errors: { type: 'array', items: { type: 'object', properties: problemItem[rowKey] } },
          },
        },
      },
    },
  },
});

const operator = { security: [{ admin: [] }], tags: ['admin'] } as const;

/** GET /admin/campaigns/:campaignId. */
export const getDefinitionSchema = {
  ...operator,
  summary: "A campaign's editable definition: cohort, windows, vaccine rules, blackout days (operators)",
  params: idParams('campaignId'),
  response: { 200: campaignDefinitionSchema, '4xx': { $ref: 'Error#' } },
} as const;

/** PUT /admin/campaigns/:campaignId. */
export const putDefinitionSchema = {
  ...operator,
  summary: 'Replace the definition (operators): all checked first, every problem listed; one transaction',
  description: 'Doses, the dose-2 interval, the time zone and the blackout shift are not part of the definition: they cannot change once capacity exists.',
  params: idParams('campaignId'),
  body: campaignDefinitionSchema,
  response: { 200: campaignDefinitionSchema, 400: problemList('path'), 409: problemList('path'), '4xx': { $ref: 'Error#' } },
} as const;

const csvBody = { type: 'string', description: 'text/csv (UTF-8, a BOM is fine), header row first' } as const;
const importAnswer = (description: string) => ({
  type: 'object',
  required: ['imported', 'rows'],
  properties: { imported: { type: 'integer', description }, rows: { type: 'integer', description: 'data rows in the file' } },
});

/** POST /admin/campaigns/:campaignId/capacity (text/csv). */
export const capacityImportSchema = {
  ...operator,
  summary: 'Dose-1 capacity per clinic, day and vaccine from a CSV (clinic_id,date,vaccine,capacity); dose 2 follows',
  consumes: ['text/csv'],
  params: idParams('campaignId'),
  body: csvBody,
  response: { 200: importAnswer('rows whose capacity changed (or whose slot was created)'), 422: problemList('row'), '4xx': { $ref: 'Error#' } },
} as const;

/** POST /admin/campaigns/:campaignId/roster (text/csv). */
export const rosterImportSchema = {
  ...operator,
  summary: "Adds people to a campaign's roster from a CSV (name,rrn); only the RRN's keyed hash is stored",
  consumes: ['text/csv'],
  params: idParams('campaignId'),
  body: csvBody,
  response: { 200: importAnswer('people added (rows already on the roster are not counted)'), 422: problemList('row'), '4xx': { $ref: 'Error#' } },
} as const;

/** POST /admin/vaccination-records (text/csv). */
export const vaccinationRecordsImportSchema = {
  ...operator,
  summary: 'Doses given outside this system from a CSV (rrn,dose,day,vaccine,source), for a booster\'s cohort; only the RRN\'s keyed hash is stored',
  consumes: ['text/csv'],
  body: csvBody,
  response: {
    200: {
      type: 'object',
      required: ['imported', 'replaced', 'rows'],
      properties: {
        imported: { type: 'integer', description: 'new records' },
        replaced: { type: 'integer', description: 'records of a person and dose already on file, replaced by this file\'s' },
        rows: { type: 'integer', description: 'data rows in the file' },
      },
    },
    422: problemList('row'),
    '4xx': { $ref: 'Error#' },
  },
} as const;
