/**
 * The report's reading of what run.ts adds to the summary beyond RehearsalSummary's fields:
 * `verificationStarts`, `replay` (the night of 9 Aug 2021 beside this rehearsal, scaled) and
 * `embeddedServer`. Read with guards: a summary saved before they existed still renders.
 */
import type { NIGHT_2021_08_09 } from './replay-2021-08-09.ts';
import { bi, formatCount, formatDuration, formatNumber, formatRate, formatShare, section, table } from './report-html.ts';
import type { RehearsalSummary } from './summary.ts';

interface Replay {
  night: typeof NIGHT_2021_08_09;
  scale: number | null;
  replaySeconds: number;
  expectedBookings: number;
  verificationStartsPerBooking: number | null;
}

/** What run.ts writes beside the typed fields, each maybe missing. */
interface Extras {
  verificationStarts?: number;
  replay?: Partial<Replay>;
  embeddedServer?: { startSeconds?: number; clinics?: number };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export function extrasOf(summary: RehearsalSummary): Extras {
  const s = summary as RehearsalSummary & Record<string, unknown>;
  const replay = obj(s.replay);
  const night = obj(replay.night);
  const embedded = obj(s.embeddedServer);
  return {
    verificationStarts: num(s.verificationStarts),
    replay: Object.keys(replay).length === 0 ? undefined : {
      night: Object.keys(night).length ? (night as unknown as Replay['night']) : undefined,
      scale: num(replay.scale) ?? null,
      replaySeconds: num(replay.replaySeconds),
      expectedBookings: num(replay.expectedBookings),
      verificationStartsPerBooking: num(replay.verificationStartsPerBooking) ?? null,
    },
    embeddedServer: Object.keys(embedded).length === 0 ? undefined : { startSeconds: num(embedded.startSeconds), clinics: num(embedded.clinics) },
  };
}

const DASH = '—';
const or = (v: number | undefined | null, format: (n: number) => string) => (v === undefined || v === null ? DASH : format(v));

/** The replay of 9 Aug 2021: the night's figures, scaled by the factor, beside this rehearsal's. */
export function replaySection(summary: RehearsalSummary, extras: Extras): string {
  const replay = extras.replay;
  if (!replay) return '';
  const night = replay.night;
  const scale = replay.scale ?? null;
  const scaled = (v: number | undefined) => (v === undefined || scale === null ? undefined : Math.round(v * scale));
  const c = summary.citizens;
  const firstBin = night?.arrivalBins?.[0];
  const rows = [
    [bi('대상자', 'Eligible'), or(num(night?.eligible), formatCount), or(scaled(num(night?.eligible)), formatCount), formatCount(c.simulated)],
    [bi('마감까지 예약', 'Booked by the window’s end'), or(num(night?.bookedByWindowEnd), formatCount), or(replay.expectedBookings ?? scaled(num(night?.bookedByWindowEnd)), formatCount), formatCount(c.booked)],
    [bi('예약 1건당 인증 시도', 'Verification attempts per booking'), or(num(night?.verificationAttemptsPerBooking), (v) => formatNumber(v, 1)), or(num(night?.verificationAttemptsPerBooking), (v) => formatNumber(v, 1)), or(replay.verificationStartsPerBooking, (v) => formatNumber(v, 1))],
    [bi('첫 30분의 도착 비율', 'Arrivals in the first 30 minutes'), or(num(night?.firstHalfHourShare), formatShare), or(num(firstBin?.share), formatShare), DASH],
    [bi('창 길이', 'Window'), or(num(night?.windowMinutes), (m) => formatDuration(m * 60)), or(replay.replaySeconds, formatDuration), or(summary.cpu.wallSeconds, formatDuration)],
  ];
  const intro = `<p class="note">${bi(
    `2021년 8월 9일 밤의 수치에 배율 × ${scale === null ? DASH : formatNumber(scale, 6)}를 곱해 이 기계에 맞췄습니다. 22시간 창은 ${or(replay.replaySeconds, formatDuration)}로 압축.`,
    `The night of 9 Aug 2021, scaled for this machine by × ${scale === null ? DASH : formatNumber(scale, 6)}; its 22-hour window compressed into ${or(replay.replaySeconds, formatDuration)}.`,
  )}</p>`;
  return section('replay', bi('2021년 8월 9일 재현', 'The replay of 9 Aug 2021'), intro + table(
    [bi('항목', 'Figure'), bi('그날 밤', 'That night'), bi('배율 적용', 'Scaled'), bi('이번 리허설', 'This rehearsal')],
    rows,
    { numeric: true, label: 'the replay of 9 Aug 2021' },
  ));
}

/** Settings rows for the embedded server, when the rehearsal started its own. */
export function embeddedRows(extras: Extras): string[][] {
  const e = extras.embeddedServer;
  if (!e) return [];
  return [[bi('내장 서버', 'Embedded server'), `${bi(`진료소 ${or(e.clinics, formatCount)}곳, 시작 ${or(e.startSeconds, formatRate)}초`, `${or(e.clinics, formatCount)} clinics, started in ${or(e.startSeconds, formatRate)} s`)}`]];
}
