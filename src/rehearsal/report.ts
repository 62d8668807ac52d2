/**
 * The rehearsal's HTML report: one self-contained document rendered from the JSON summary — no
 * script, no external font, style sheet or image, so it opens from file:// with no network and
 * prints as it reads. Korean first, English after each label ("한국어 / English"). Every string
 * from the summary is escaped: error codes, bot answers and the fairness record come from the server.
 */
import { barChart, escapeHtml as esc, lineChart, type Bar, type ChartSeries } from './report-charts.ts';
import type { RehearsalSummary, TimelinePoint } from './summary.ts';
import { renderFairness } from './report-fairness.ts';
import { embeddedRows, extrasOf, replaySection } from './report-extras.ts';
import { bi, breakable, formatCount, formatDuration, formatInstant, formatMs, formatNumber, formatRate, formatShare, formatSignedShare, section, table, tile } from './report-html.ts';

/** The issue's aims for one 2-core machine (issue #10's benchmark table). */
const AIM_BOOKED_PER_HOUR = 10_000_000;
const AIM_P99_MS = 50;
/** Points drawn per chart and rows per chart table: a long rehearsal's timeline is bucketed. */
const CHART_POINTS_MAX = 360;
const ERROR_BARS_MAX = 12; // the most frequent codes drawn; the table lists them all
const ERROR_ROWS_MAX = 200; // … up to this many
const TABLE_ROWS_MAX = 60;

export function renderReport(summary: RehearsalSummary): string {
  const brokenInvariants = summary.invariants.filter((i) => !i.ok);
  const failedBots = summary.bots.filter((b) => !b.passed);
  const passed = brokenInvariants.length === 0 && failedBots.length === 0;
  const extras = extrasOf(summary);
  const body = [
    header(summary, passed),
    tiles(summary, brokenInvariants.length),
    timelineSection(summary.timeline),
    citizensSection(summary, extras.verificationStarts),
    replaySection(summary, extras),
    endpointsSection(summary),
    errorsSection(summary.errorsByCode),
    etaSection(summary),
    botsSection(summary),
    invariantsSection(summary),
    renderFairness(summary.fairness, summary),
    settingsSection(summary, embeddedRows(extras)),
  ].join('\n');
  return `<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>리허설 보고서 / Rehearsal report — ${esc(summary.target)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
<footer><p>${bi('yeyak 리허설 보고서 — 요약 JSON에서 생성', 'yeyak rehearsal report — rendered from the JSON summary')} · ${esc(summary.finishedAt)}</p></footer>
</body>
</html>
`;
}

function header(s: RehearsalSummary, passed: boolean): string {
  const verdict = passed
    ? `<p class="verdict good" role="status">✔ ${bi('통과: 모든 불변식 정상, 모든 봇 차단', 'Passed: every invariant held, every bot was refused')}</p>`
    : `<p class="verdict bad" role="status">✘ ${bi('실패: 불변식 위반 또는 봇 통과', 'Failed: an invariant broke or a bot got through')}</p>`;
  return `<header>
<h1>${bi('예약 리허설 보고서', 'Rehearsal report')}</h1>
${verdict}
<dl class="meta">
<div><dt>${bi('대상', 'Target')}</dt><dd><code>${esc(s.target)}</code></dd></div>
<div><dt>${bi('시작', 'Started')}</dt><dd>${formatInstant(s.startedAt)}</dd></div>
<div><dt>${bi('종료', 'Finished')}</dt><dd>${formatInstant(s.finishedAt)}</dd></div>
<div><dt>${bi('도착 모델', 'Arrival')}</dt><dd><code>${esc(s.settings.arrival)}</code>${s.settings.scale === null ? '' : ` × ${formatNumber(s.settings.scale, 4)}`}</dd></div>
</dl>
</header>`;
}

/**
 * The p99 over all citizen requests: the highest endpoint p99 bounds it from above (each endpoint
 * has at most 1 % of its requests above its own p99, so at most 1 % of all are above the highest).
 */
function allRequestsP99(s: RehearsalSummary): number {
  const p99s = s.endpoints.filter((e) => e.count > 0).map((e) => e.p99);
  return p99s.length ? Math.max(...p99s) : NaN;
}

function tiles(s: RehearsalSummary, broken: number): string {
  const p99 = allRequestsP99(s);
  const c = s.citizens;
  return `<section aria-labelledby="h-headline"><h2 id="h-headline" class="visually-hidden">${bi('핵심 수치', 'Headline figures')}</h2><div class="tiles">
${tile(bi('모의 시민', 'Citizens simulated'), formatCount(c.simulated))}
${tile(bi('본인인증 완료', 'Verified'), formatCount(c.verified), `${formatShare(c.verified / c.simulated)} ${bi('모의 시민 대비', 'of simulated')}`)}
${tile(bi('예약 완료', 'Booked'), formatCount(c.booked), `${formatShare(c.booked / c.verified)} ${bi('인증 대비', 'of verified')}`)}
${tile(bi('시간당 예약', 'Booked per hour'), formatCount(s.bookedPerHour), `${bi('목표', 'aim')} ≥ ${formatCount(AIM_BOOKED_PER_HOUR)}`, s.bookedPerHour >= AIM_BOOKED_PER_HOUR ? 'good' : 'warn')}
${tile(bi('최대 대기 인원', 'Peak waiting'), formatCount(s.peakWaiting))}
${tile(bi('입장 속도', 'Admission rate'), `${formatRate(s.admissionPerSecond)}/s`, bi('입장 중 중앙값', 'median while admitting'))}
${tile(bi('전체 요청 p99', 'p99, all requests'), `≤ ${formatMs(p99)}`, `${bi('목표', 'aim')} &lt; ${AIM_P99_MS} ms<br>${bi('엔드포인트 최대 p99', 'highest endpoint p99')}`, p99 < AIM_P99_MS ? 'good' : 'warn')}
${tile(bi('불변식', 'Invariants'), broken === 0 ? `${bi('정상', 'OK')}` : `${formatCount(broken)} ${bi('위반', 'broken')}`, `${formatCount(s.invariants.length)} ${bi('개 검사', 'checked')}`, broken === 0 ? 'good' : 'bad')}
</div></section>`;
}

type Field = Exclude<keyof TimelinePoint, 't'>;
/** How a bucket of seconds becomes one point: rates average, peaks keep their maximum. */
const PEAK_FIELDS: ReadonlySet<Field> = new Set<Field>(['waiting', 'p99', 'errors']);

/** At most `max` points: consecutive points merged into buckets (mean of rates, max of peaks). */
export function bucketTimeline(points: readonly TimelinePoint[], max: number): TimelinePoint[] {
  if (points.length <= max) return [...points];
  const size = Math.ceil(points.length / max);
  const out: TimelinePoint[] = [];
  for (let i = 0; i < points.length; i += size) {
    const bucket = points.slice(i, i + size);
    const merged = { t: bucket[0]!.t } as TimelinePoint;
    for (const field of ['waiting', 'admittedPerSecond', 'bookingsPerSecond', 'requestsPerSecond', 'p99', 'errors'] as Field[]) {
      const values = bucket.map((p) => p[field]);
      merged[field] = PEAK_FIELDS.has(field) ? Math.max(...values) : values.reduce((a, b) => a + b, 0) / values.length;
    }
    out.push(merged);
  }
  return out;
}

interface TimelineChart {
  id: string;
  title: [string, string];
  fields: { field: Field; name: [string, string] }[];
  format: (v: number) => string;
}

const TIMELINE_CHARTS: TimelineChart[] = [
  { id: 'waiting', title: ['대기 인원', 'Citizens waiting'], fields: [{ field: 'waiting', name: ['대기', 'waiting'] }], format: formatCount },
  {
    id: 'admitted',
    title: ['초당 입장·예약', 'Admitted and booked per second'],
    fields: [{ field: 'admittedPerSecond', name: ['입장/s', 'admitted/s'] }, { field: 'bookingsPerSecond', name: ['예약/s', 'booked/s'] }],
    format: formatRate,
  },
  { id: 'requests', title: ['초당 요청', 'Requests per second'], fields: [{ field: 'requestsPerSecond', name: ['요청/s', 'requests/s'] }], format: formatRate },
  { id: 'p99', title: ['요청 p99 (ms)', 'Request p99 (ms)'], fields: [{ field: 'p99', name: ['p99', 'p99'] }], format: formatMs },
  { id: 'errors', title: ['오류 (5xx·연결 실패)', 'Errors (5xx, connection failures)'], fields: [{ field: 'errors', name: ['오류', 'errors'] }], format: formatCount },
];

function timelineSection(timeline: readonly TimelinePoint[]): string {
  if (timeline.length === 0) return section('timeline', bi('시간별 추이', 'Over time'), `<p>${bi('기록된 시계열이 없습니다.', 'No timeline was recorded.')}</p>`);
  const points = bucketTimeline(timeline, CHART_POINTS_MAX);
  const rows = bucketTimeline(timeline, TABLE_ROWS_MAX);
  const note = rows.length < timeline.length
    ? `<p class="note">${bi(`표의 각 행은 약 ${formatCount(Math.ceil(timeline.length / rows.length))}개 구간: 속도는 평균, 대기·p99·오류는 최대값.`, `Each table row merges about ${formatCount(Math.ceil(timeline.length / rows.length))} intervals: rates averaged, waiting, p99 and errors at their maximum.`)}</p>`
    : '';
  const figures = TIMELINE_CHARTS.map((chart) => {
    const series: ChartSeries[] = chart.fields.map((f) => ({ name: bi(...f.name), values: points.map((p) => p[f.field]) }));
    const svg = lineChart({ title: `${chart.title[0]} / ${chart.title[1]}`, xs: points.map((p) => p.t), series, formatX: formatDuration, formatY: chart.format });
    const tableHtml = table(
      [bi('시각', 'Time'), ...chart.fields.map((f) => bi(...f.name))],
      rows.map((p) => [formatDuration(p.t), ...chart.fields.map((f) => chart.format(p[f.field]))]),
      { numeric: true, label: `${chart.title[0]} / ${chart.title[1]}` },
    );
    return `<figure id="chart-${chart.id}"><figcaption>${bi(...chart.title)}</figcaption>${svg}
<details><summary>${bi('표로 보기', 'Show as a table')}</summary>${note}${tableHtml}</details></figure>`;
  });
  return section('timeline', bi('시간별 추이', 'Over time'), `<div class="charts">${figures.join('\n')}</div>`);
}

function citizensSection(s: RehearsalSummary, verificationStarts: number | undefined): string {
  const c = s.citizens;
  const bars: Bar[] = [
    { label: '모의 시민 / simulated', value: c.simulated },
    ...(verificationStarts === undefined ? [] : [{ label: '인증 시작 / verifications started', value: verificationStarts }]),
    { label: '본인인증 / verified', value: c.verified },
    { label: '대기열 참가 / joined', value: c.joined },
    { label: '입장 / admitted', value: c.admitted },
    { label: '예약 / booked', value: c.booked, tone: 'good' },
    { label: '변경 / changed', value: c.changed },
    { label: '취소 / cancelled', value: c.cancelled },
    { label: '포기 / gave up', value: c.gaveUp },
    { label: '대상 아님·아직 / ineligible or not yet', value: c.ineligible },
    { label: '종료 시 대기 중 / still waiting at the end', value: c.stillWaiting },
  ];
  const chart = barChart('시민 흐름 / Citizens, step by step', bars, formatCount);
  const rows = bars.map((b) => [esc(b.label), formatCount(b.value), formatShare(b.value / c.simulated)]);
  return section('citizens', bi('시민 흐름', 'Citizens, step by step'), `<figure>${chart}
<details><summary>${bi('표로 보기', 'Show as a table')}</summary>${table([bi('단계', 'Step'), bi('인원', 'Citizens'), bi('비율', 'Share')], rows, { numeric: true, label: 'citizens' })}</details></figure>`);
}

function statusList(statuses: Record<string, number>): string {
  return Object.entries(statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `<span class="status ${/^(5|error)/.test(status) ? 'bad' : /^4/.test(status) ? 'warn' : ''}">${esc(status)} × ${formatCount(n)}</span>`)
    .join(' ');
}

/** "GET /api/v1/queue/status", the API prefix in a span a phone leaves out (the intro says so). */
function endpointName(endpoint: string): string {
  const match = /^([A-Z]+ )(\/api\/v\d+)(\/.*)$/.exec(endpoint);
  if (!match) return breakable(endpoint);
  return breakable(`${match[1]}\u0000${match[3]}`).replace('\u0000', `<span class="api-prefix">${match[2]}</span>`);
}

function endpointsSection(s: RehearsalSummary): string {
  const head = [bi('엔드포인트', 'Endpoint'), bi('요청 수', 'Requests'), 'p50', 'p90', 'p99', 'p99.9', 'max', bi('응답 상태', 'Statuses')];
  const rows = s.endpoints.map((e) => [
    endpointName(e.endpoint),
    formatCount(e.count),
    formatMs(e.p50),
    formatMs(e.p90),
    e.p99 >= AIM_P99_MS ? `<strong class="over">${formatMs(e.p99)} ▲</strong>` : formatMs(e.p99),
    formatMs(e.p999),
    formatMs(e.max),
    statusList(e.statuses),
  ]);
  const intro = `<p class="note">${bi(`지연은 계획된 시작 시각부터 잰 ms (개방형 모델). ▲ = 목표 ${AIM_P99_MS} ms 이상. 좁은 화면에서는 /api/v1 생략.`, `Latency in ms from each request's planned start (open model). ▲ = at or above the ${AIM_P99_MS} ms aim. A narrow screen leaves out /api/v1.`)}</p>`;
  return section('endpoints', bi('엔드포인트별 지연', 'Latency per endpoint'), intro + table(head, rows, { numeric: true, label: 'Latency percentiles per endpoint' }));
}

function errorsSection(errors: Record<string, number>): string {
  const entries = Object.entries(errors).sort(([, a], [, b]) => b - a);
  if (entries.length === 0) return section('errors', bi('코드별 오류', 'Errors by code'), `<p class="good-text">✔ ${bi('오류 응답 없음', 'No error answers')}</p>`);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const bars: Bar[] = entries.slice(0, ERROR_BARS_MAX).map(([code, n]) => ({ label: code, value: n, tone: /^(5|error)/.test(code) ? 'bad' : 'neutral' }));
  const rest = entries.slice(ERROR_BARS_MAX).reduce((sum, [, n]) => sum + n, 0);
  if (rest > 0) bars.push({ label: `기타 ${formatCount(entries.length - ERROR_BARS_MAX)}개 코드 / ${formatCount(entries.length - ERROR_BARS_MAX)} other codes`, value: rest });
  const chart = barChart('코드별 오류 / Errors by code', bars, formatCount);
  const rows = entries.slice(0, ERROR_ROWS_MAX).map(([code, n]) => [breakable(code), formatCount(n), formatShare(n / total)]);
  if (entries.length > ERROR_ROWS_MAX) rows.push([bi('나머지 코드', 'the other codes'), formatCount(entries.slice(ERROR_ROWS_MAX).reduce((sum, [, n]) => sum + n, 0)), '']);
  return section('errors', bi('코드별 오류', 'Errors by code'), `<figure>${chart}
<details open><summary>${bi('표', 'Table')}</summary>${table([bi('상태·코드', 'Status and code'), bi('횟수', 'Count'), bi('비율', 'Share')], rows, { numeric: true, label: 'errors by code' })}</details></figure>`);
}

function etaSection(s: RehearsalSummary): string {
  const e = s.eta;
  const within = barChart('ETA ±20 % 이내 비율 / Share within ±20 % of the ETA', [{ label: '±20 % 이내 / within ±20 %', value: e.withinTwentyPercent, tone: e.withinTwentyPercent >= 0.8 ? 'good' : 'bad' }], (v) => formatShare(v), 1);
  const rows = [
    [bi('표본', 'Samples'), formatCount(e.samples)],
    [bi('오차 p50 (실제−표시)/표시', 'Error p50 (actual − shown) / shown'), formatSignedShare(e.errorP50)],
    [bi('오차 p90', 'Error p90'), formatSignedShare(e.errorP90)],
    [bi('±20 % 이내', 'Within ±20 %'), formatShare(e.withinTwentyPercent)],
    [bi('실제 대기 p50', 'Actual wait p50'), formatDuration(e.waitP50Seconds)],
    [bi('실제 대기 p99', 'Actual wait p99'), formatDuration(e.waitP99Seconds)],
  ];
  const fifo = s.fifoInversions === 0
    ? `<p class="good-text">✔ ${bi('FIFO 역전 0건 (기대값 0)', 'FIFO inversions: 0 (0 expected)')}</p>`
    : `<p class="bad-text">✘ ${bi(`FIFO 역전 ${formatCount(s.fifoInversions)}건 (기대값 0)`, `FIFO inversions: ${formatCount(s.fifoInversions)} (0 expected)`)}</p>`;
  return section('eta', bi('표시된 ETA 대 실제 대기', 'ETA shown vs actual wait'), `${table([bi('항목', 'Figure'), bi('값', 'Value')], rows, { numeric: true, label: 'ETA accuracy', narrow: true })}
<figure class="small">${within}</figure>
<h3>${bi('선착순(FIFO) 역전', 'FIFO inversions')}</h3>
<p class="note">${bi('개장 후 먼저 참가한 사람보다 먼저 입장한 시민 수.', 'Citizens admitted before someone who joined (after the opening) earlier than them.')}</p>
${fifo}`);
}

/** One card per bot kind (a table of sentences does not fit a phone). */
function botsSection(s: RehearsalSummary): string {
  if (s.bots.length === 0) return section('bots', bi('봇', 'Bots'), `<p>${bi('봇을 보내지 않았습니다.', 'No bots were sent.')}</p>`);
  const cards = s.bots.map((b) => {
    const answers = Object.entries(b.answers).map(([answer, n]) => `<li><span class="status${/^2/.test(answer) ? ' bad' : ''}">${esc(answer)} × ${formatCount(n)}</span></li>`);
    return `<li class="${b.passed ? 'ok' : 'broken'}">${b.passed ? '<span class="badge good">✔ PASS</span>' : '<span class="badge bad">✘ FAIL</span>'} <code class="kind">${esc(b.kind)}</code>
<p class="tries">${esc(b.tries)}</p>
<dl class="figures"><div><dt>${bi('시도', 'Attempts')}</dt><dd>${formatCount(b.attempts)}</dd></div><div><dt>${bi('성공 (0이어야 함)', 'Succeeded (must be 0)')}</dt><dd${b.succeeded > 0 ? ' class="bad-text"' : ''}>${formatCount(b.succeeded)}</dd></div></dl>
<p class="answers-label">${bi('받은 응답', 'What it got')}</p><ul class="answers">${answers.join('')}</ul></li>`;
  });
  const failed = s.bots.filter((b) => !b.passed).length;
  const line = failed === 0
    ? `<p class="good-text">✔ ${bi(`봇 ${formatCount(s.bots.length)}종 모두 차단`, `All ${formatCount(s.bots.length)} kinds of bot were refused`)}</p>`
    : `<p class="bad-text">✘ ${bi(`봇 ${formatCount(s.bots.length)}종 중 ${formatCount(failed)}종이 통과함`, `${formatCount(failed)} of ${formatCount(s.bots.length)} kinds of bot got through`)}</p>`;
  const intro = `<p class="note">${bi('봇은 우회를 시도하며, 모든 시도가 거절되어야 통과입니다.', 'Bots try the bypasses; a bot passes when every attempt was refused.')}</p>`;
  return section('bots', bi('봇', 'Bots'), `${intro}${line}<ul class="cards">${cards.join('\n')}</ul>`);
}

function invariantsSection(s: RehearsalSummary): string {
  const items = s.invariants.map((i) =>
    `<li class="${i.ok ? 'ok' : 'broken'}"><span class="badge ${i.ok ? 'good' : 'bad'}">${i.ok ? '✔ OK' : '✘ BROKEN'}</span> <strong>${esc(i.name)}</strong><br><span class="detail">${esc(i.detail)}</span></li>`);
  const broken = s.invariants.filter((i) => !i.ok).length;
  const summaryLine = broken === 0
    ? `<p class="good-text">✔ ${bi(`${formatCount(s.invariants.length)}개 모두 정상`, `All ${formatCount(s.invariants.length)} held`)}</p>`
    : `<p class="bad-text">✘ ${bi(`${formatCount(broken)}개 위반 — 명령은 0이 아닌 코드로 종료`, `${formatCount(broken)} broken — the command exits non-zero`)}</p>`;
  return section('invariants', bi('불변식', 'Invariants'), `${summaryLine}<ul class="cards">${items.join('')}</ul>`);
}

function settingsSection(s: RehearsalSummary, moreRows: string[][]): string {
  const st = s.settings;
  const rows = [
    [bi('시민 수', 'Citizens'), formatCount(st.citizens)],
    [bi('도착 모델', 'Arrival'), `<code>${esc(st.arrival)}</code>`],
    [bi('시드', 'Seed'), esc(st.seed)],
    [bi('기간', 'Duration'), st.durationSeconds === null ? bi('끝날 때까지', 'until done') : formatDuration(st.durationSeconds)],
    [bi('연결 수', 'Connections'), formatCount(st.connections)],
    [bi('동시 요청 한도', 'Requests in flight, max'), formatCount(st.maxInFlight)],
    [bi('재현 배율', 'Replay scale'), st.scale === null ? '—' : `× ${formatNumber(st.scale, 4)}`],
    [bi('기계', 'Machine'), esc(s.machine)],
    ...moreRows,
  ];
  const wall = s.cpu.wallSeconds;
  const cores = (cpu: number | null) => (cpu === null || !(wall > 0) ? NaN : cpu / wall);
  const cpuBars: Bar[] = [
    { label: '리허설 / rehearsal', value: cores(s.cpu.rehearsalSeconds), text: `${formatRate(s.cpu.rehearsalSeconds)} s · ${formatRate(cores(s.cpu.rehearsalSeconds))} 코어 / cores` },
    {
      label: '서버 / server',
      value: cores(s.cpu.serverSeconds),
      text: s.cpu.serverSeconds === null ? '측정 불가 / not read' : `${formatRate(s.cpu.serverSeconds)} s · ${formatRate(cores(s.cpu.serverSeconds))} 코어 / cores`,
    },
  ];
  const cpuRows = [
    [bi('경과 시간', 'Wall time'), `${formatRate(wall)} s`],
    [bi('리허설 CPU', 'Rehearsal CPU'), cpuBars[0]!.text!],
    [bi('서버 CPU', 'Server CPU'), cpuBars[1]!.text!],
  ];
  return section('settings', bi('설정·기계·CPU', 'Settings, machine and CPU'), `${table([bi('설정', 'Setting'), bi('값', 'Value')], rows, { label: 'settings', narrow: true })}
<h3>${bi('CPU: 리허설 대 서버', 'CPU: the rehearsal vs the server')}</h3>
<figure class="small">${barChart('CPU 코어 사용 / CPU cores used', cpuBars, formatRate)}
<details><summary>${bi('표로 보기', 'Show as a table')}</summary>${table([bi('항목', 'Figure'), bi('값', 'Value')], cpuRows, { numeric: true, label: 'CPU', narrow: true })}</details></figure>`);
}

const STYLE = `
:root{color-scheme:light;--fg:#1b1f24;--muted:#4a5360;--line:#d4d9e0;--bg:#fff;--panel:#f4f6f9;--good:#1a6b43;--good-bg:#e3f4ea;--bad:#a3221b;--bad-bg:#fde7e5;--warn:#8a4b00;--warn-bg:#fff2dc;--accent:#0b5fa5}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans CJK KR","Noto Sans KR","Apple SD Gothic Neo","Malgun Gothic",sans-serif;color:var(--fg);background:var(--bg)}
main,footer{max-width:1080px;margin:0 auto;padding:0 14px}
h1{font-size:1.6rem;margin:18px 0 8px}
h2{font-size:1.25rem;margin:28px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:1.05rem;margin:18px 0 6px}
[lang=en]{color:var(--muted);font-weight:inherit}
h1 [lang=en],h2 [lang=en],h3 [lang=en]{font-weight:500}
.sep{color:var(--muted)}
code{font:0.9em ui-monospace,"DejaVu Sans Mono",monospace;overflow-wrap:anywhere}
code.breakable{overflow-wrap:break-word;font-size:.85em}
table.numeric td:first-child{min-width:9em}
.verdict{font-size:1.1rem;font-weight:700;padding:10px 12px;border-radius:6px;border:2px solid}
.verdict.good,.tile.good{background:var(--good-bg);border-color:var(--good);color:var(--good)}
.verdict.bad,.tile.bad{background:var(--bad-bg);border-color:var(--bad);color:var(--bad)}
.verdict [lang=en],.tile.good [lang=en],.tile.bad [lang=en],.tile.warn [lang=en]{color:inherit}
.meta{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:4px 16px;margin:8px 0}
.meta dt{font-size:.85rem;color:var(--muted)}.meta dd{margin:0}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px;margin:16px 0}
.tile{border:2px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--panel)}
.tile.warn{background:var(--warn-bg);border-color:var(--warn);color:var(--warn)}
.tile .label{font-size:.85rem;line-height:1.3}
.tile .value{font-size:1.7rem;font-weight:700;line-height:1.2;margin:4px 0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.tile .sub{font-size:.8rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr));gap:14px}
figure{margin:0 0 14px;padding:10px;border:1px solid var(--line);border-radius:8px;min-width:0}
figure.small{max-width:560px}
figcaption{font-weight:700;margin-bottom:4px}
svg.chart{display:block;width:100%;height:auto}
svg.bars{max-width:480px}
svg.chart text{fill:var(--fg);font-family:inherit}
svg.chart .grid{stroke:#e3e7ec}svg.chart .axis{stroke:#5b6472}svg.chart .track{fill:#eef1f4}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;list-style:none;padding:0;margin:6px 0 0;font-size:.9rem}
.legend li{display:flex;align-items:center;gap:6px}
details{margin-top:8px}summary{cursor:pointer;color:var(--accent)}
.scroll{overflow-x:auto;max-width:100%}.scroll.narrow{max-width:720px}
pre.raw{overflow:auto;max-height:28em;background:var(--panel);padding:8px;border-radius:6px;font-size:.8rem;white-space:pre-wrap;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:.9rem}
caption{text-align:left;font-weight:700;padding:4px 0}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--panel);font-weight:700}
table.numeric td:not(:first-child){text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
#endpoints table.numeric td:last-child{white-space:normal;text-align:left;min-width:15em}
#endpoints td:first-child,#endpoints th:first-child{min-width:11.5em;position:sticky;left:0;background:var(--bg);box-shadow:1px 0 0 var(--line)}
#endpoints th:first-child{background:var(--panel)}
.status{display:inline-block;padding:0 6px;margin:1px 0;border-radius:4px;background:var(--panel);border:1px solid var(--line);white-space:nowrap;font-size:.85rem}
.status.bad{background:var(--bad-bg);border-color:var(--bad);color:var(--bad)}
.status.warn{background:var(--warn-bg);border-color:var(--warn);color:var(--warn)}
.badge{display:inline-block;padding:1px 8px;border-radius:4px;font-weight:700;white-space:nowrap;border:1px solid}
.badge.good{background:var(--good-bg);color:var(--good)}.badge.bad{background:var(--bad-bg);color:var(--bad)}
.over{color:var(--bad)}
.good-text{color:var(--good);font-weight:700}.bad-text{color:var(--bad);font-weight:700}
.note{color:var(--muted);font-size:.9rem}
.cards{list-style:none;padding:0}
.cards>li{padding:8px 10px;border:1px solid var(--line);border-radius:6px;margin:6px 0}
.cards>li.broken{border:2px solid var(--bad);background:var(--bad-bg)}
.cards .detail{color:var(--muted);font-size:.9rem;overflow-wrap:anywhere}
.cards>li.broken .detail{color:var(--bad)}
.cards .kind{font-weight:700;font-size:1rem}
.cards .tries{margin:4px 0}
.figures{display:flex;flex-wrap:wrap;gap:2px 20px;margin:4px 0}.figures dt{font-size:.85rem;color:var(--muted)}.figures dd{margin:0;font-weight:700;font-variant-numeric:tabular-nums}
.answers-label{margin:4px 0 0;font-size:.85rem;color:var(--muted)}
.answers{list-style:none;padding:0;margin:2px 0;display:flex;flex-wrap:wrap;gap:4px}
.answers .status{white-space:normal;overflow-wrap:anywhere}
.kv{display:grid;grid-template-columns:minmax(120px,max-content) 1fr;gap:2px 12px;margin:4px 0}
.kv dt{color:var(--muted)}.kv dd{margin:0;overflow-wrap:anywhere}
.kv .kv{grid-column:1/-1;margin-left:12px}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
footer{color:var(--muted);font-size:.85rem;margin-top:24px;padding-bottom:24px}
@media (max-width:480px){body{font-size:14px}.api-prefix{display:none}.tile .value{font-size:1.4rem}.tile .value.long{font-size:1.15rem}.tiles{grid-template-columns:1fr 1fr}}
@media print{body{font-size:10pt}.tiles{grid-template-columns:repeat(4,1fr)}.tile .value{font-size:16pt}.charts{grid-template-columns:1fr 1fr}main,footer{max-width:none;padding:0}figure,.tile,tr,li{break-inside:avoid}h2{break-after:avoid}.scroll{overflow:visible}a{color:inherit}}
`;
