/**
 * The report's fairness record section: the server's GET /api/v1/campaigns/{id}/fairness answer as
 * the rehearsal saved it. The summary types it `unknown` (the server owns the shape), so this reads
 * it defensively: known figures first when present, then every field as the server sent it, escaped.
 */
import { escapeHtml as esc } from './report-charts.ts';
import { bi, formatCount, formatNumber, formatSignedShare, formatShare, section } from './report-html.ts';

type Json = Record<string, unknown>;

const DEPTH_MAX = 4; // nested objects shown; deeper ones as JSON text
const ITEMS_MAX = 50; // array items shown before "… n more"

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first of `names` present at `path` (dotted) in the record. */
function pick(record: Json, ...paths: string[]): unknown {
  for (const path of paths) {
    let at: unknown = record;
    for (const key of path.split('.')) at = isObject(at) ? at[key] : undefined;
    if (at !== undefined && at !== null) return at;
  }
  return undefined;
}

function scalar(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? formatCount(v) : formatNumber(v, 4);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return /^[0-9a-f]{16,}$/i.test(v) ? `<code>${esc(v)}</code>` : esc(v);
  return esc(JSON.stringify(v));
}

/** Every field, nested as definition lists (bounded in depth and length). */
function fields(value: unknown, depth: number): string {
  if (Array.isArray(value)) {
    if (depth >= DEPTH_MAX) return `<code>${esc(JSON.stringify(value))}</code>`;
    const shown = value.slice(0, ITEMS_MAX).map((item, i) => `<dt>${i + 1}</dt><dd>${isObject(item) || Array.isArray(item) ? fields(item, depth + 1) : scalar(item)}</dd>`);
    const more = value.length > ITEMS_MAX ? `<dt>…</dt><dd>${formatCount(value.length - ITEMS_MAX)} more</dd>` : '';
    return `<dl class="kv">${shown.join('')}${more}</dl>`;
  }
  if (!isObject(value)) return scalar(value);
  if (depth >= DEPTH_MAX) return `<code>${esc(JSON.stringify(value))}</code>`;
  const rows = Object.entries(value).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${isObject(v) || Array.isArray(v) ? fields(v, depth + 1) : scalar(v)}</dd>`);
  return `<dl class="kv">${rows.join('')}</dl>`;
}

function figure(labelHtml: string, value: unknown, format: (v: number) => string = formatCount): string {
  if (value === undefined) return '';
  const shown = typeof value === 'number' ? format(value) : scalar(value);
  return `<div><dt>${labelHtml}</dt><dd>${shown}</dd></div>`;
}

function headline(record: Json): string {
  const inversions = pick(record, 'inversionsBeyondShuffle', 'inversions', 'fifoInversions', 'admissionOrder.inversionsBeyondShuffle', 'admissionOrder.inversions');
  const items = [
    figure(bi('시드 약정 (개장 전 공개)', 'Seed commitment (published before the opening)'), pick(record, 'seed.commitment', 'seedCommitment', 'commitment')),
    figure(bi('공개된 시드', 'Seed revealed'), pick(record, 'seed.revealed', 'seed.value', 'seedReveal', 'revealedSeed', 'seed')),
    figure(bi('선착순 역전 (셔플 외)', 'Inversions beyond the shuffle'), inversions),
    figure(bi('ETA ±20 % 이내', 'ETA within ±20 %'), pick(record, 'eta.withinTwentyPercent', 'etaWithinTwentyPercent'), formatShare),
    figure(bi('ETA 오차 p50', 'ETA error p50'), pick(record, 'eta.errorP50'), formatSignedShare),
    figure(bi('ETA 오차 p90', 'ETA error p90'), pick(record, 'eta.errorP90'), formatSignedShare),
  ].filter(Boolean);
  const verdict = typeof inversions === 'number'
    ? inversions === 0
      ? `<p class="good-text">✔ ${bi('셔플 외 역전 0건 (기대값 0)', 'No inversions beyond the shuffle (0 expected)')}</p>`
      : `<p class="bad-text">✘ ${bi(`셔플 외 역전 ${formatCount(inversions)}건 (기대값 0)`, `${formatCount(inversions)} inversions beyond the shuffle (0 expected)`)}</p>`
    : '';
  return items.length ? `${verdict}<dl class="meta">${items.join('')}</dl>` : '';
}

export function renderFairness(fairness: unknown): string {
  const title = bi('공정성 기록', 'The fairness record');
  const intro = `<p class="note">${bi('서버의 공개 기록 (GET /api/v1/campaigns/{id}/fairness): 개장 전 약정한 셔플 시드, 입장 순서 대 참가 순서, 표시된 ETA 대 실제 대기.', "The server's public record (GET /api/v1/campaigns/{id}/fairness): the shuffle's seed committed before the opening, admission order against join order, the ETA shown against the actual wait.")}</p>`;
  if (fairness === undefined || fairness === null) {
    return section('fairness', title, `${intro}<p>${bi('서버가 공정성 기록을 보내지 않았습니다.', 'The server sent no fairness record.')}</p>`);
  }
  if (!isObject(fairness)) return section('fairness', title, `${intro}<p>${scalar(fairness)}</p>`);
  return section('fairness', title, `${intro}${headline(fairness)}
<details><summary>${bi('서버가 보낸 모든 항목', 'Every field the server sent')}</summary>${fields(fairness, 0)}</details>`);
}
