/**
 * The operator console's calls (the shapes are the server's: src/staff/session-routes.ts,
 * src/operations/live-routes.ts, src/waiting-room/routes.ts, src/campaigns/admin-*.ts). The staff
 * session is the httpOnly `yeyak_staff` cookie; every write sends the readable `yeyak_staff_csrf`
 * cookie's value as X-CSRF-Token (web/shared/http.ts).
 */
import { API, call } from '../shared/http.ts';
import type { CampaignDefinition } from '../../src/campaigns/definition.ts';
import type { CsvProblem } from '../../src/campaigns/csv.ts';
import type { DefinitionProblem } from '../../src/campaigns/definition-shape.ts';
import type { LiveLight, LiveSnapshot } from '../../src/operations/live.ts';
import type { QueueSettings } from '../../src/waiting-room/store.ts';

// The server's own types (type-only: nothing of src/ is bundled), so the page and the API cannot drift.
export type { DefinitionVaccineRule, DefinitionWindow } from '../../src/campaigns/definition.ts';
export type Definition = CampaignDefinition;
export type Snapshot = LiveSnapshot;
export type Light = LiveLight;
export type Shuffle = LiveSnapshot['queue']['shuffle'];
export type Notice = NonNullable<QueueSettings['notice']>;
/** PATCH /admin/queue/{id}: any of these. */
export type QueuePatch = Partial<QueueSettings>;
/** One problem of a refused CSV upload: `row` as a spreadsheet shows it (header = 1). */
export type RowProblem = CsvProblem;

export interface CampaignSummary {
  id: string;
  name: { ko: string; en: string };
}

/** What GET and PATCH /admin/queue/{id} answer (the line's settings and counters). */
export interface QueueView extends QueueSettings {
  waiting: number;
  activePasses: number;
  shuffleSeed: number | null;
}

/** One problem in a 400/409 answer to PUT: `path` is a JSON pointer into the body. */
export type FieldProblem = DefinitionProblem;

export type CsvKind = 'capacity' | 'roster';

export interface Region {
  code: string;
  parentCode: string | null;
  level: number;
  nameKo: string;
  nameEn: string;
}

const staff = { csrfCookie: 'yeyak_staff_csrf' } as const;
const id = (s: string) => encodeURIComponent(s);

export const api = {
  campaigns: () => call<CampaignSummary[]>('campaigns'),
  regions: (c: string) => call<Region[]>(`campaigns/${id(c)}/regions`),
  snapshot: (c: string) => call<Snapshot>(`admin/live/${id(c)}`),
  eventsUrl: (c: string) => `${API}/admin/live/${id(c)}/events`,
  queue: (c: string) => call<QueueView>(`admin/queue/${id(c)}`),
  steer: (c: string, patch: QueuePatch) => call<QueueView>(`admin/queue/${id(c)}`, { method: 'PATCH', body: patch, ...staff }),
  definition: (c: string) => call<Definition>(`admin/campaigns/${id(c)}`),
  saveDefinition: (c: string, d: Definition) => call<Definition>(`admin/campaigns/${id(c)}`, { method: 'PUT', body: d, ...staff }),
  importCsv: (c: string, kind: CsvKind, text: string) =>
    call<{ imported: number; rows: number }>(`admin/campaigns/${id(c)}/${kind}`, { method: 'POST', raw: { type: 'text/csv; charset=utf-8', text }, ...staff }),
};
