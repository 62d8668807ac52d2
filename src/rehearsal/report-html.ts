/**
 * Small HTML pieces of the rehearsal report: bilingual labels, numbers formatted for Korean readers
 * (Intl, ko-KR), sections, tables and tiles. Arguments named `html` are markup already escaped by
 * the caller; every other string is escaped here.
 */
import { escapeHtml as esc } from './report-charts.ts';

const counts = new Intl.NumberFormat('ko-KR', { maximumFractionDigits: 0 });
const shares = new Intl.NumberFormat('ko-KR', { style: 'percent', maximumFractionDigits: 1 });
const signedShares = new Intl.NumberFormat('ko-KR', { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' });
// 24-hour clock: no 오전/오후 (or AM/PM, as some ICU builds say in ko-KR) to misread.
const instants = new Intl.DateTimeFormat('ko-KR', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: 'Asia/Seoul' });
const DASH = '—';

/** "한국어 / English": Korean first, the English marked as such for screen readers. */
export function bi(ko: string, en: string): string {
  return `<span class="ko">${esc(ko)}</span><span class="sep"> / </span><span lang="en">${esc(en)}</span>`;
}

export function formatCount(v: number): string {
  return Number.isFinite(v) ? counts.format(v) : DASH;
}

/** A number with up to `digits` decimals (rates, factors, CPU seconds). */
export function formatNumber(v: number, digits: number): string {
  return Number.isFinite(v) ? new Intl.NumberFormat('ko-KR', { maximumFractionDigits: digits }).format(v) : DASH;
}

/** Rates: one decimal below 100 (a line admitting 2.5/s), none above. */
export function formatRate(v: number): string {
  return formatNumber(v, Math.abs(v) < 100 ? 1 : 0);
}

/** Milliseconds with the precision that matters at that size: 0.85, 12.3, 480. */
export function formatMs(v: number): string {
  if (!Number.isFinite(v)) return DASH;
  return `${formatNumber(v, v < 10 ? 2 : v < 100 ? 1 : 0)} ms`;
}

export function formatShare(v: number): string {
  if (!Number.isFinite(v)) return DASH;
  return v > 0 && v < 0.0005 ? `< ${shares.format(0.001)}` : shares.format(v); // 3 of 40,000 is not "0 %"
}

/** Code-like text (routes, error codes) escaped, with break chances after "/", "_" and "." only. */
export function breakable(text: string): string {
  return `<code class="breakable">${esc(text).replace(/([/_.])/g, '$1<wbr>')}</code>`;
}

export function formatSignedShare(v: number): string {
  return Number.isFinite(v) ? signedShares.format(v) : DASH;
}

/** Seconds as a clock reading: 1.8s, 42s, 3:05, 1:02:05. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return DASH;
  const sign = seconds < 0 ? '−' : '';
  if (Math.abs(seconds) < 59.5) return `${sign}${formatNumber(Math.abs(seconds), Math.abs(seconds) < 10 ? 1 : 0)}s`; // a wait of 1.8 s is not "2s"
  const total = Math.round(Math.abs(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${sign}${h}:${String(m).padStart(2, '0')}:${s}` : `${sign}${m}:${s}`;
}

/** An ISO instant in Seoul time, with the ISO text kept for the exact value. */
export function formatInstant(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return esc(iso);
  return `${esc(instants.format(ms))} KST <span class="note">(<time datetime="${esc(iso)}">${esc(iso)}</time>)</span>`;
}

export function section(id: string, titleHtml: string, html: string): string {
  return `<section id="${esc(id)}" aria-labelledby="h-${esc(id)}"><h2 id="h-${esc(id)}">${titleHtml}</h2>\n${html}\n</section>`;
}

export interface TableOptions {
  /** Right-aligned figures in every column but the first. */
  numeric?: boolean;
  captionHtml?: string;
  /** The scroll box's accessible name when there is no caption. */
  label?: string;
  /** A few short columns: kept to a readable width instead of the page's. */
  narrow?: boolean;
}

/** A table in a focusable scroll box (a phone scrolls wide tables sideways, keyboard too). */
export function table(headHtml: readonly string[], rowsHtml: readonly (readonly string[])[], options: TableOptions = {}): string {
  const head = headHtml.map((h) => `<th scope="col">${h}</th>`).join('');
  const rows = rowsHtml.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  const caption = options.captionHtml ? `<caption>${options.captionHtml}</caption>` : '';
  const label = options.captionHtml ? '' : ` aria-label="${esc(options.label ?? 'table')}"`;
  return `<div class="scroll${options.narrow ? ' narrow' : ''}" tabindex="0" role="region"${label}><table${options.numeric ? ' class="numeric"' : ''}>${caption}<thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table></div>`;
}

export type Tone = 'good' | 'bad' | 'warn' | 'neutral';

/** A headline figure; the tone colours it, and its words say the same for those who cannot see colour. */
export function tile(labelHtml: string, valueHtml: string, subHtml = '', tone: Tone = 'neutral'): string {
  const long = valueHtml.replace(/<[^>]*>/g, '').length > 9; // 12,345,678 on one line of a phone's tile
  return `<div class="tile ${tone}"><div class="label">${labelHtml}</div><div class="value${long ? ' long' : ''}">${valueHtml}</div>${subHtml ? `<div class="sub">${subHtml}</div>` : ''}</div>`;
}
