/**
 * One time-series chart (uPlot, bundled) with its text alternatives: a legend that names each line
 * (its colour and its dash, so colour is not the only cue) with the latest value — the chart's
 * aria-describedby — and a table of one reading a minute over the chart's ten minutes.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';
import { lang } from '../shared/ui.tsx';
import { minuteRows } from './history.ts';
import { koreaTime, t } from './words.ts';

export interface Line {
  label: string;
  values: readonly (number | null)[];
  color: string;
  dashed?: boolean;
  /** The value in words, with its unit ("12.3/s", "3분 20초"). */
  format: (v: number | null) => string;
}

interface ChartProps {
  id: string;
  title: string;
  x: readonly number[];
  lines: Line[];
  /** Bumped when the columns gained a point. */
  version: number;
  /** Tick labels of the y axis (short: no unit). */
  tick?: (v: number) => string;
}

const HEIGHT_PX = 170;
const MIN_SPAN_S = 60;
const DASH = [7, 5];
const AXIS = { stroke: '#333', grid: { stroke: '#e3e3e3', width: 1 }, ticks: { stroke: '#bbb', width: 1 } };
/** Readings in the table: one a minute. */
const TABLE_ROWS = 10;

function options(p: ChartProps, width: number): uPlot.Options {
  const tick = p.tick ?? ((v: number) => String(v));
  return {
    width,
    height: HEIGHT_PX,
    legend: { show: false },
    cursor: { show: false },
    // The opening runs on Korea's clock, whatever the operator's computer says.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Asia/Seoul'),
    // At least a minute across, so the first readings do not stretch over the whole width.
    scales: { x: { time: true, range: (_u, min, max) => [Math.min(min, max - MIN_SPAN_S), max] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] } },
    series: [{}, ...p.lines.map((l) => ({ label: l.label, stroke: l.color, width: 2, dash: l.dashed ? DASH : undefined, spanGaps: true, points: { show: false } }))],
    // Korea's 24-hour time on the x axis, in every language (uPlot's default is US-style).
    axes: [{ ...AXIS, space: 90, values: (_u, splits) => splits.map((x) => koreaTime(x * 1000)) }, { ...AXIS, size: 56, values: (_u, splits) => splits.map(tick) }],
  };
}

function Swatch(props: { color: string; dashed?: boolean }) {
  return (
    <svg class="swatch" width="28" height="10" aria-hidden="true" focusable="false">
      <line x1="0" y1="5" x2="28" y2="5" stroke={props.color} stroke-width="3" stroke-dasharray={props.dashed ? DASH.join(' ') : undefined} />
    </svg>
  );
}

export function TimeChart(p: ChartProps) {
  const w = t().live;
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = () => [p.x, ...p.lines.map((l) => l.values)] as unknown as uPlot.AlignedData;

  // Built again when the language changes (the lines' names); resized with its box.
  useEffect(() => {
    const el = box.current!;
    const u = new uPlot(options(p, Math.max(200, el.clientWidth)), data(), el);
    plot.current = u;
    const resized = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT_PX }));
    resized.observe(el);
    return () => {
      resized.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [lang.value, p.lines.length]);

  useEffect(() => {
    plot.current?.setData(data());
  }, [p.version]);

  const last = p.x.length - 1;
  const rows = minuteRows(p.x, TABLE_ROWS);
  return (
    <figure class="chart" aria-labelledby={`${p.id}-title`}>
      <h3 id={`${p.id}-title`}>{p.title}</h3>
      <ul class="legend" id={`${p.id}-now`} aria-label={w.latestValues}>
        {p.lines.map((l) => (
          <li key={l.label}>
            <Swatch color={l.color} dashed={l.dashed} />
            <span>{l.label}{l.dashed ? ` (${w.dashed})` : ''}: </span>
            <strong>{last >= 0 ? l.format(l.values[last] ?? null) : w.noData}</strong>
          </li>
        ))}
      </ul>
      <div class="plot" ref={box} role="img" aria-labelledby={`${p.id}-title`} aria-describedby={`${p.id}-now`} />
      <details>
        <summary>{w.asTable}</summary>
        <table>
          <caption class="sr-only">{w.tableCaption(p.title)}</caption>
          <thead>
            <tr>
              <th scope="col">{w.timeKorea}</th>
              {p.lines.map((l) => <th scope="col" key={l.label}>{l.label}</th>)}
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && <tr><td colSpan={p.lines.length + 1}>{w.noData}</td></tr>}
            {rows.map((i) => (
              <tr key={p.x[i]}>
                <th scope="row">{koreaTime(p.x[i]! * 1000)}</th>
                {p.lines.map((l) => <td key={l.label}>{l.format(l.values[i] ?? null)}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
