/**
 * The rehearsal report's charts: SVG written as text on the server, so the report needs no script
 * and no network. Two generic shapes only — a line chart with axes, ticks and a legend, and a
 * horizontal bar chart — each sized by its viewBox and scaled by CSS (width: 100 %).
 */

/** Escapes text for HTML and SVG, attributes included: the summary carries server-provided text. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface ChartSeries {
  name: string;
  values: readonly number[];
}

export interface LineChartInput {
  /** The chart's accessible name (also its <title>). */
  title: string;
  xs: readonly number[];
  series: readonly ChartSeries[];
  formatX: (x: number) => string;
  formatY: (y: number) => string;
}

export interface Bar {
  label: string;
  value: number;
  /** The text after the bar; the value formatted when absent. */
  text?: string;
  tone?: 'good' | 'bad' | 'neutral';
}

// Colour-blind-safe (Okabe–Ito, darkened for contrast on white); the second and third series are
// also dashed, so a series is told apart without colour.
const SERIES_COLOURS = ['#0b5fa5', '#b34700', '#1a7a4c'];
const SERIES_DASHES = ['', '7 4', '2 3'];
const BAR_COLOURS = { good: '#1a7a4c', bad: '#b3261e', neutral: '#0b5fa5' } as const;

const WIDTH = 400; // viewBox units; the page scales the whole figure to its column
const HEIGHT = 200;
const FONT = 13; // viewBox units: ~10 px on a 360 px phone, ~16 px in a desktop column

/** About `count` round tick values from 0 to at least `max` (1, 2, 2.5 or 5 × 10ⁿ steps). */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const TIME_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/**
 * Ticks for a time axis in seconds, from 0 to a round end at or past `maxSeconds`: the step that
 * overshoots the end least with at most `ticksMax` ticks (more ticks on a tie).
 */
export function timeTicks(maxSeconds: number, ticksMax = 6): number[] {
  const max = maxSeconds > 0 && Number.isFinite(maxSeconds) ? maxSeconds : 1;
  const candidates = TIME_STEPS_S.map((step) => ({ step, end: Math.ceil(max / step - 1e-9) * step }))
    .map((c) => ({ ...c, ticks: c.end / c.step + 1 }))
    .filter((c) => c.ticks <= Math.max(2, ticksMax));
  const best = candidates.sort((a, b) => a.end - b.end || b.ticks - a.ticks)[0] ?? { step: Math.ceil(max / 86400) * 86400, end: Math.ceil(max / 86400) * 86400 };
  const ticks: number[] = [];
  for (let v = 0; v <= best.end + 1e-9; v += best.step) ticks.push(v);
  return ticks;
}

function finite(values: readonly number[]): number[] {
  return values.filter((v) => Number.isFinite(v));
}

export function lineChart(input: LineChartInput): string {
  const { xs, series, formatX, formatY } = input;
  const yMax = Math.max(0, ...series.flatMap((s) => finite(s.values)));
  const yTicks = niceTicks(yMax);
  const yTop = yTicks[yTicks.length - 1] ?? 1;
  const xMin = Math.min(...finite(xs), 0);
  const xMaxRaw = Math.max(...finite(xs), xMin + 1);
  // As many time labels as fit the narrowest column (a 360 px phone shows the viewBox at ~0.8×).
  const ticksMax = Math.min(8, Math.floor((WIDTH - 60) / (textWidth(formatX(xMaxRaw), FONT) + 14)));
  const xTicks = timeTicks(xMaxRaw - xMin, ticksMax).map((t) => t + xMin);
  const xMax = xTicks[xTicks.length - 1] ?? xMaxRaw;
  const left = Math.ceil(Math.max(...yTicks.map((t) => textWidth(formatY(t), FONT)))) + 10;
  const right = WIDTH - Math.ceil(textWidth(formatX(xMax), FONT) / 2) - 2; // the last time label, centred on the end, fits
  const plot = { left, top: 10, right, bottom: HEIGHT - 26 };
  const x = (v: number) => plot.left + ((v - xMin) / (xMax - xMin)) * (plot.right - plot.left);
  const y = (v: number) => plot.bottom - (v / yTop) * (plot.bottom - plot.top);
  const grid = yTicks
    .map((t) => `<line x1="${plot.left}" x2="${plot.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="grid"/>` +
      `<text x="${plot.left - 6}" y="${(y(t) + FONT * 0.35).toFixed(1)}" text-anchor="end">${escapeHtml(formatY(t))}</text>`)
    .join('');
  const xAxis = xTicks
    .map((t) => `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${plot.bottom}" y2="${plot.bottom + 4}" class="axis"/>` +
      `<text x="${x(t).toFixed(1)}" y="${plot.bottom + FONT + 5}" text-anchor="middle">${escapeHtml(formatX(t))}</text>`)
    .join('');
  const lines = series
    .map((s, i) => {
      const points = xs
        .map((xv, j) => [xv, s.values[j]] as const)
        .filter((p): p is readonly [number, number] => Number.isFinite(p[0]) && Number.isFinite(p[1]))
        .map(([xv, yv]) => `${x(xv).toFixed(1)},${y(yv).toFixed(1)}`)
        .join(' ');
      const dash = SERIES_DASHES[i % SERIES_DASHES.length] ? ` stroke-dasharray="${SERIES_DASHES[i % SERIES_DASHES.length]}"` : '';
      return `<polyline points="${points}" fill="none" stroke="${SERIES_COLOURS[i % SERIES_COLOURS.length]}" stroke-width="2"${dash} stroke-linejoin="round"/>`;
    })
    .join('');
  const axes = `<line x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}" class="axis"/>` +
    `<line x1="${plot.left}" x2="${plot.left}" y1="${plot.top}" y2="${plot.bottom}" class="axis"/>`;
  return `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(input.title)}" font-size="${FONT}">` +
    `<title>${escapeHtml(input.title)}</title>${grid}${axes}${xAxis}${lines}</svg>` + legend(series);
}

/** The legend in HTML under the chart: it wraps on a phone, and its text reads at the page's size. */
function legend(series: readonly ChartSeries[]): string {
  if (series.length < 2) return '';
  const items = series.map((s, i) => {
    const dash = SERIES_DASHES[i % SERIES_DASHES.length] ? ` stroke-dasharray="${SERIES_DASHES[i % SERIES_DASHES.length]}"` : '';
    return `<li><svg width="28" height="10" aria-hidden="true"><line x1="0" x2="28" y1="5" y2="5" stroke="${SERIES_COLOURS[i % SERIES_COLOURS.length]}" stroke-width="3"${dash}/></svg>${s.name}</li>`;
  });
  return `<ul class="legend">${items.join('')}</ul>`;
}

/** Estimated text width in viewBox units: Hangul and other wide characters take a full em. */
function textWidth(text: string, font: number): number {
  let width = 0;
  for (const ch of text) width += /[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/.test(ch) ? font : font * 0.6;
  return width;
}

/** `text` cut to fit `width` (an ellipsis at the end); the whole text stays in the row's <title>. */
function fitText(text: string, width: number, font: number): string {
  if (textWidth(text, font) <= width) return text;
  let out = '';
  for (const ch of text) {
    if (textWidth(`${out}${ch}…`, font) > width) break;
    out += ch;
  }
  return `${out}…`;
}

const BAR_WIDTH = 360; // viewBox units; CSS caps a bar chart at 480 px, so text stays 12–17 px
const BAR_FONT = 13;
const BAR_ROW = 36;

/**
 * Horizontal bars, each label on its own line above its bar (long error codes fit a phone), the
 * value right of the bar; the bars leave room for the longest value.
 */
export function barChart(title: string, bars: readonly Bar[], formatValue: (v: number) => string, max?: number): string {
  const height = Math.max(BAR_ROW, bars.length * BAR_ROW);
  const top = Math.max(max ?? 0, ...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), 1e-9);
  const texts = bars.map((b) => b.text ?? formatValue(b.value));
  const valueWidth = Math.min(BAR_WIDTH / 2, Math.max(...texts.map((t) => textWidth(t, BAR_FONT))));
  const barRight = BAR_WIDTH - valueWidth - 8;
  const rows = bars
    .map((b, i) => {
      const y0 = i * BAR_ROW;
      const value = Number.isFinite(b.value) ? Math.max(0, b.value) : 0;
      const width = Math.max(value > 0 ? 2 : 0, (value / top) * barRight);
      const label = fitText(b.label, BAR_WIDTH, BAR_FONT);
      return `<g><title>${escapeHtml(`${b.label}: ${texts[i]}`)}</title>` +
        `<text x="0" y="${y0 + BAR_FONT}">${escapeHtml(label)}</text>` +
        `<rect x="0" y="${y0 + BAR_FONT + 4}" width="${barRight.toFixed(1)}" height="12" class="track"/>` +
        `<rect x="0" y="${y0 + BAR_FONT + 4}" width="${width.toFixed(1)}" height="12" fill="${BAR_COLOURS[b.tone ?? 'neutral']}"/>` +
        `<text x="${BAR_WIDTH}" y="${y0 + BAR_FONT + 14}" text-anchor="end">${escapeHtml(fitText(texts[i]!, valueWidth, BAR_FONT))}</text></g>`;
    })
    .join('');
  return `<svg class="chart bars" viewBox="0 0 ${BAR_WIDTH} ${height}" role="img" aria-label="${escapeHtml(title)}" font-size="${BAR_FONT}">` +
    `<title>${escapeHtml(title)}</title>${rows}</svg>`;
}
