/**
 * The report's fairness record section: the server's GET /api/v1/campaigns/{id}/fairness answer
 * (src/waiting-room/fairness-record.ts) as the rehearsal saved it, beside the rehearsal's own
 * figures. The summary types it `unknown` — it came over the wire, maybe from another version — so
 * every field is read with a guard and shown only when it has the expected type; the raw record
 * is kept at the end, escaped, for anyone who wants to recompute from it.
 */
import { escapeHtml as esc, barChart } from './report-charts.ts';
import { bi, formatCount, formatDuration, formatInstant, formatShare, formatSignedShare, section, table } from './report-html.ts';
import type { FairnessRecordJson } from '../waiting-room/fairness-record.ts';
import type { EtaAccuracy } from './summary.ts';

/**
 * A record as read from the wire: any field may be missing or of another type, so each is checked
 * where it is read. The keys are the server's own (a rename there fails the typecheck here).
 */
type Loose<T> = { [K in keyof T]?: unknown };
type Wire = Loose<FairnessRecordJson>;
type Element<T> = T extends readonly (infer E)[] ? E : never;

const RAW_CHARS_MAX = 20_000; // the raw record shown; a longer one is cut (examples lists grow)

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function objectAt<T, K extends keyof T & string>(v: Loose<T>, key: K): Loose<NonNullable<T[K]>> {
  const at = v[key];
  return isObject(at) ? (at as Loose<NonNullable<T[K]>>) : {};
}
function numberAt<T>(v: Loose<T>, key: keyof T & string): number | undefined {
  const at = v[key];
  return typeof at === 'number' && Number.isFinite(at) ? at : undefined;
}
function stringAt<T>(v: Loose<T>, key: keyof T & string): string | undefined {
  const at = v[key];
  return typeof at === 'string' ? at : undefined;
}
function arrayAt<T, K extends keyof T & string>(v: Loose<T>, key: K): Loose<Element<T[K]>>[] {
  const at = v[key];
  return Array.isArray(at) ? (at.filter(isObject) as Loose<Element<T[K]>>[]) : [];
}

/** A definition list of the rows whose value is present. */
function facts(rows: [string, string | undefined][]): string {
  const shown = rows.filter((r): r is [string, string] => r[1] !== undefined);
  return shown.length ? `<dl class="meta">${shown.map(([dt, dd]) => `<div><dt>${dt}</dt><dd>${dd}</dd></div>`).join('')}</dl>` : '';
}
const count = (v: number | undefined) => (v === undefined ? undefined : formatCount(v));
const instant = (v: string | undefined) => (v === undefined ? undefined : formatInstant(v));
const code = (v: string | undefined) => (v === undefined ? undefined : `<code>${esc(v)}</code>`);

const SEED_STATES: Record<string, [string, string]> = {
  off: ['셔플 없음', 'no shuffle'],
  none: ['아직 약정 전', 'not committed yet'],
  committed: ['약정됨 (시드 비공개)', 'committed (seed not yet revealed)'],
  revealed: ['공개됨', 'revealed'],
};

function seedPart(record: Wire): string {
  const seed = objectAt(record, 'seed');
  const shuffle = objectAt(record, 'shuffle');
  const state = stringAt(seed, 'state');
  const stateWords = state === undefined ? undefined : SEED_STATES[state] ? bi(...SEED_STATES[state]!) : esc(state);
  const sample = arrayAt(shuffle, 'sample').filter((s) => numberAt(s, 'number') !== undefined && numberAt(s, 'position') !== undefined);
  const sampleTable = sample.length
    ? `<details><summary>${bi('재계산 예시: 사전 대기 번호 → 자리', 'A check to recompute: pre-queue number → place')}</summary>${table(
      [bi('번호', 'Number'), bi('자리', 'Place')],
      sample.map((s) => [formatCount(numberAt(s, 'number')!), formatCount(numberAt(s, 'position')!)]),
      { numeric: true, label: 'shuffle sample', narrow: true },
    )}</details>`
    : '';
  return `<h3>${bi('셔플 시드', "The shuffle's seed")}</h3>
${facts([
  [bi('상태', 'State'), stateWords],
  [bi('약정 (SHA-256)', 'Commitment (SHA-256)'), code(stringAt(seed, 'commitment') ?? undefined)],
  [bi('약정 시각', 'Committed at'), instant(stringAt(seed, 'committedAt'))],
  [bi('해시 입력', 'Hashed text'), code(stringAt(seed, 'input'))],
  [bi('시드', 'Seed'), code(numberAt(seed, 'value')?.toString())], // exact decimal digits: it is hashed as text
  [bi('논스', 'Nonce'), code(stringAt(seed, 'nonce'))],
  [bi('셔플 시각', 'Shuffled at'), instant(stringAt(seed, 'shuffledAt'))],
  [bi('알고리즘', 'Algorithm'), code(stringAt(shuffle, 'algorithm'))],
  [bi('사전 대기 인원 P', 'Pre-queue size P'), count(numberAt(shuffle, 'preQueueSize'))],
])}
<p class="note">${bi(
  '재계산: 약정 = SHA-256(해시 입력의 UTF-8). 사전 대기 번호 n의 자리 = shuffledPosition(n, P, 시드), 이후 참가자 s의 자리 = P + s.',
  'To recompute: commitment = SHA-256 of the hashed text (UTF-8). Pre-queue number n stands at shuffledPosition(n, P, seed); a later join s at P + s.',
)}</p>${sampleTable}`;
}

function orderPart(record: Wire, fifoInversions: number): string {
  const order = objectAt(record, 'admissionOrder');
  const inversions = numberAt(order, 'inversionsBeyondShuffle');
  const mismatches = numberAt(order, 'positionMismatches');
  const verdict = (n: number | undefined, ko: string, en: string) =>
    n === undefined ? '' : n === 0
      ? `<p class="good-text">✔ ${bi(`${ko} 0건 (기대값 0)`, `${en}: 0 (0 expected)`)}</p>`
      : `<p class="bad-text">✘ ${bi(`${ko} ${formatCount(n)}건 (기대값 0)`, `${en}: ${formatCount(n)} (0 expected)`)}</p>`;
  const examples = arrayAt(order, 'examples');
  const exampleTable = examples.length
    ? `<details open><summary>${bi('예시', 'Examples')}</summary>${table(
      [bi('자리', 'Place'), bi('기대한 자리', 'Expected place')],
      examples.map((e) => [count(numberAt(e, 'position')) ?? '—', count(numberAt(e, 'expectedPosition')) ?? '—']),
      { numeric: true, label: 'inversion examples', narrow: true },
    )}</details>`
    : '';
  return `<h3>${bi('입장 순서 대 참가 순서', 'Admission order against join order')}</h3>
${verdict(inversions, '셔플 외 역전', 'Inversions beyond the shuffle')}${verdict(mismatches, '번호와 다른 자리', 'Places not the one their number gives')}
${facts([
  [bi('기록된 입장', 'Admissions recorded'), count(numberAt(order, 'recorded'))],
  [bi('셔플 외 역전 (서버)', 'Inversions beyond the shuffle (server)'), count(inversions)],
  [bi('FIFO 역전 (리허설이 본 것)', 'FIFO inversions (as the rehearsal saw them)'), formatCount(fifoInversions)],
])}${exampleTable}`;
}

const seconds = (v: number | undefined) => (v === undefined ? '—' : formatDuration(v));
const signedSeconds = (v: number | undefined) => (v === undefined ? '—' : `${v > 0 ? '+' : ''}${formatDuration(v)}`);
const signed = (v: number | undefined) => (v === undefined ? '—' : formatSignedShare(v));

function etaPart(record: Wire, rehearsal: EtaAccuracy): string {
  const eta = objectAt(record, 'eta');
  const within = numberAt(eta, 'withinTwentyPercent');
  const rows = [
    [bi('표본', 'Samples'), count(numberAt(eta, 'samples')) ?? '—', formatCount(rehearsal.samples)],
    [bi('오차 p50', 'Error p50'), signed(numberAt(eta, 'errorP50')), formatSignedShare(rehearsal.errorP50)],
    [bi('오차 p90', 'Error p90'), signed(numberAt(eta, 'errorP90')), formatSignedShare(rehearsal.errorP90)],
    [bi('±20 % 이내', 'Within ±20 %'), within === undefined ? '—' : formatShare(within), formatShare(rehearsal.withinTwentyPercent)],
    [bi('실제 대기 p50', 'Actual wait p50'), seconds(numberAt(eta, 'waitP50Seconds')), formatDuration(rehearsal.waitP50Seconds)],
    [bi('실제 대기 p99', 'Actual wait p99'), seconds(numberAt(eta, 'waitP99Seconds')), formatDuration(rehearsal.waitP99Seconds)],
    ...(['P10', 'P50', 'P90', 'P99'] as const).map((p) => [bi(`오차 ${p.toLowerCase()} (초)`, `Error ${p.toLowerCase()} (seconds)`), signedSeconds(numberAt(eta, `error${p}Seconds`)), '—']),
  ];
  const bars = within === undefined ? '' : `<figure class="small">${barChart('ETA ±20 % 이내 / within ±20 %', [
    { label: '서버 기록 / server record', value: within, tone: within >= 0.8 ? 'good' : 'bad' },
    { label: '리허설 측정 / rehearsal', value: rehearsal.withinTwentyPercent, tone: rehearsal.withinTwentyPercent >= 0.8 ? 'good' : 'bad' },
  ], formatShare, 1)}</figure>`;
  return `<h3>${bi('표시된 ETA 대 실제 대기', 'ETA shown against the wait had')}</h3>
<p class="note">${bi('오차 = (실제 − 표시) / 표시; 양수는 들은 것보다 오래 기다림.', 'Error = (actual − shown) / shown; positive: waited longer than told.')}</p>
${table([bi('항목', 'Figure'), bi('서버 기록', 'Server record'), bi('리허설 측정', 'Rehearsal')], rows, { numeric: true, label: 'ETA: server record and rehearsal', narrow: true })}${bars}`;
}

function raw(record: unknown): string {
  const text = JSON.stringify(record, null, 2) ?? String(record);
  const shown = text.length > RAW_CHARS_MAX ? `${text.slice(0, RAW_CHARS_MAX)}\n…` : text;
  return `<details><summary>${bi('서버가 보낸 기록 원문 (JSON)', 'The record as the server sent it (JSON)')}</summary><pre class="raw" tabindex="0">${esc(shown)}</pre></details>`;
}

export function renderFairness(fairness: unknown, rehearsal: { eta: EtaAccuracy; fifoInversions: number }): string {
  const title = bi('공정성 기록', 'The fairness record');
  const intro = `<p class="note">${bi(
    '서버의 공개 기록 (GET /api/v1/campaigns/{id}/fairness): 개장 전에 약정하고 개장 후 공개한 셔플 시드, 입장 순서 대 참가 순서, 표시된 ETA 대 실제 대기.',
    "The server's public record (GET /api/v1/campaigns/{id}/fairness): the shuffle's seed, committed before the opening and revealed after, admission order against join order, the ETA shown against the wait had.",
  )}</p>`;
  if (fairness === undefined || fairness === null) {
    return section('fairness', title, `${intro}<p>${bi('서버가 공정성 기록을 보내지 않았습니다.', 'The server sent no fairness record.')}</p>`);
  }
  if (!isObject(fairness)) return section('fairness', title, `${intro}<p>${bi('알 수 없는 형식의 기록:', 'A record of an unknown shape:')}</p>${raw(fairness)}`);
  if (!isObject(fairness.seed) && !isObject(fairness.admissionOrder) && !isObject(fairness.eta)) {
    // e.g. {"error":{"code":"YEYAK_E_CAMPAIGN_NOT_FOUND",…}}: an answer, not a record
    return section('fairness', title, `${intro}<p>${bi('서버가 공정성 기록 대신 다른 답을 보냈습니다:', 'The server answered with something other than a fairness record:')}</p>${raw(fairness)}`);
  }
  const record = fairness as Wire;
  const head = facts([
    [bi('캠페인', 'Campaign'), code(stringAt(record, 'campaignId'))],
    [bi('개장', 'Opening'), instant(stringAt(record, 'opening'))],
    [bi('사전 대기 시작', 'Pre-queue opens'), instant(stringAt(record, 'preQueueOpensAt'))],
    [bi('기록 작성', 'Record built'), instant(stringAt(record, 'at'))],
  ]);
  return section('fairness', title, `${intro}${head}${orderPart(record, rehearsal.fifoInversions)}${seedPart(record)}${etaPart(record, rehearsal.eta)}${raw(fairness)}`);
}
