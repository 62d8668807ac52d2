/**
 * The dose-2 moves view: a plan (JSON) previewed by a dry run or started as a job; the campaign's
 * jobs with a progress bar (refreshed every 2 s while one runs), pause and resume, moves per new
 * day and the people who did not fit (src/reschedule/routes.ts). The job runs on the server;
 * closing this page stops nothing.
 */
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { ApiError, call } from '../shared/http.ts';
import { pick } from '../shared/ui.tsx';
import { opsReschedule as ko } from '../i18n/ko/ops-reschedule.ts';
import { opsReschedule as en } from '../i18n/en/ops-reschedule.ts';
import { guarded } from './session.ts';
import { count, errorText } from './words.ts';

const words = () => pick({ ko, en });
const REFRESH_MS = 2_000; // while a job is queued or running

interface Job {
  id: number;
  state: string;
  plan: { campaignId?: string };
  total: number;
  examined: number;
  moved: number;
  unfit: number;
  skipped: number;
  progress: number;
  lastError?: string | null;
}
interface Unfit { reservationId: number; bookingNumber: string; clinicId: string; day1: string; day2: string | null; reason: string }
interface Detail { job: Job; movedPerDay: { day: string; moved: number }[]; unfit: Unfit[] }
interface DryRun { total: number; moved: number; unfit: number; skipped: number; movedPerDay: { day: string; moved: number }[]; unfitHead: Unfit[] }

const staff = { csrfCookie: 'yeyak_staff_csrf' } as const;
const rescheduleApi = {
  jobs: () => call<{ jobs: Job[] }>('admin/reschedules'),
  job: (id: number) => call<Detail>(`admin/reschedules/${id}`),
  dryRun: (plan: unknown) => call<DryRun>('admin/reschedules', { method: 'POST', body: { plan, dryRun: true }, ...staff }),
  start: (plan: unknown) => call<{ job: Job }>('admin/reschedules', { method: 'POST', body: { plan }, ...staff }),
  act: (id: number, action: 'pause' | 'resume') => call<{ job: Job }>(`admin/reschedules/${id}/${action}`, { method: 'POST', ...staff }),
};

/** The tab's label (main.tsx). */
function PerDay({ rows }: { rows: { day: string; moved: number }[] }) {
  const w = words();
  return (
    <table class="reschedule-days">
      <caption>{w.perDayHeading}</caption>
      <thead><tr><th scope="col">{w.perDayColumns.day}</th><th scope="col">{w.perDayColumns.moved}</th></tr></thead>
      <tbody>{rows.map((r) => <tr key={r.day}><td>{r.day}</td><td>{count(r.moved)}</td></tr>)}</tbody>
    </table>
  );
}

function UnfitList({ rows, total }: { rows: Unfit[]; total: number }) {
  const w = words();
  if (total === 0) return <p>{w.unfitNone}</p>;
  return (
    <table class="reschedule-unfit" data-testid="reschedule-unfit">
      <caption>{w.unfitHeading} ({count(total)})</caption>
      <thead><tr>{Object.values(w.unfitColumns).map((c) => <th key={c} scope="col">{c}</th>)}</tr></thead>
      <tbody>
        {rows.map((u) => (
          <tr key={u.reservationId}><td>{u.bookingNumber}</td><td>{u.clinicId}</td><td>{u.day1}</td><td>{u.day2 ?? '-'}</td><td>{w.reason[u.reason] ?? u.reason}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

function JobView({ id, onChanged }: { id: number; onChanged: () => void }) {
  const w = words();
  const detail = useSignal<Detail | null>(null);
  const error = useSignal<string | null>(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      guarded(() => rescheduleApi.job(id)).then(
        (d) => {
          detail.value = d;
          error.value = null;
          if (d.job.state === 'running' || d.job.state === 'queued') timer = setTimeout(load, REFRESH_MS);
        },
        (e) => (error.value = errorText(e)),
      );
    void load();
    return () => clearTimeout(timer);
  }, [id]);
  const d = detail.value;
  if (error.value) return <p class="error" role="alert">{error.value}</p>;
  if (!d) return <p role="status">{w.loading}</p>;
  const { job } = d;
  const act = (action: 'pause' | 'resume') =>
    guarded(() => rescheduleApi.act(id, action)).then(onChanged, (e) => (error.value = errorText(e)));
  return (
    <article class="reschedule-job" data-testid={`reschedule-job-${id}`}>
      <h4>{w.jobLabel(id)} · {w.state[job.state] ?? job.state}</h4>
      <progress max={1} value={job.progress} style={{ width: '100%', height: '1.25rem' }} aria-label={w.progressLabel(id)} data-testid="reschedule-progress">{Math.round(job.progress * 100)}%</progress>
      <p>{w.counts(job.examined, job.total, job.moved, job.unfit, job.skipped)}</p>
      {job.lastError && <p class="error">{w.lastError(job.lastError)}</p>}
      {(job.state === 'running' || job.state === 'queued') && <button type="button" onClick={() => void act('pause')}>{w.pause}</button>}
      {(job.state === 'paused' || job.state === 'failed') && <button type="button" onClick={() => void act('resume')}>{w.resume}</button>}
      <PerDay rows={d.movedPerDay} />
      <UnfitList rows={d.unfit} total={job.unfit} />
    </article>
  );
}

function PlanForm({ campaignId, onStarted }: { campaignId: string; onStarted: () => void }) {
  const w = words();
  const text = useSignal(JSON.stringify({ campaignId, vaccineId: '', dose1From: '', dose1To: '', interval: { minDays: 35, maxDays: 42 }, avoidDays: [], shiftDays: -5 }, null, 2));
  const dry = useSignal<DryRun | null>(null);
  const error = useSignal<string | null>(null);
  const parsed = (): unknown => {
    try {
      return JSON.parse(text.value) as unknown;
    } catch {
      error.value = w.planNotJson;
      return undefined;
    }
  };
  const fail = (e: unknown) => {
    const fields = e instanceof ApiError && Array.isArray((e.details as { errors?: unknown } | null)?.errors) ? (e.details as { errors: { field: string; code: string }[] }).errors : [];
    error.value = `${errorText(e)}${fields.length ? ` (${fields.map((f) => `${f.field}: ${f.code}`).join(', ')})` : ''}`;
  };
  const run = (start: boolean) => {
    const plan = parsed();
    if (plan === undefined) return;
    error.value = null;
    if (start) void guarded(() => rescheduleApi.start(plan)).then(onStarted, fail);
    else void guarded(() => rescheduleApi.dryRun(plan)).then((r) => (dry.value = r), fail);
  };
  return (
    <div class="reschedule-plan">
      <label for="reschedule-plan">{w.planLabel}</label>
      <textarea id="reschedule-plan" rows={8} spellcheck={false} style={{ width: '100%', fontFamily: 'monospace' }} value={text.value} onInput={(e) => (text.value = (e.target as HTMLTextAreaElement).value)} aria-describedby="reschedule-plan-hint" />
      <p class="hint" id="reschedule-plan-hint"><code>{w.planHint}</code></p>
      {error.value && <p class="error" role="alert">{error.value}</p>}
      <button type="button" class="secondary" onClick={() => run(false)} data-testid="reschedule-dry-run">{w.dryRun}</button>
      <button type="button" onClick={() => run(true)} data-testid="reschedule-start">{w.start}</button>
      {dry.value && (
        <div data-testid="reschedule-dry">
          <h3>{w.dryHeading}</h3>
          <p>{w.dryCounts(dry.value.total, dry.value.moved, dry.value.unfit, dry.value.skipped)}</p>
          <PerDay rows={dry.value.movedPerDay} />
          <UnfitList rows={dry.value.unfitHead} total={dry.value.unfit} />
        </div>
      )}
    </div>
  );
}

export function ReschedulePanel({ campaignId }: { campaignId: string }) {
  const w = words();
  const jobs = useSignal<Job[] | null>(null);
  const error = useSignal<string | null>(null);
  const load = () =>
    guarded(() => rescheduleApi.jobs()).then(
      (r) => ((jobs.value = r.jobs.filter((j) => j.plan.campaignId === campaignId)), (error.value = null)),
      (e) => (error.value = errorText(e)),
    );
  useEffect(() => {
    void load();
  }, [campaignId]);
  return (
    <section class="reschedule" aria-labelledby="reschedule-heading" data-testid="reschedule">
      <h2 id="reschedule-heading">{w.heading}</h2>
      <p class="hint">{w.intro}</p>
      <PlanForm campaignId={campaignId} onStarted={() => void load()} />
      <h3>{w.jobsHeading}</h3>
      {error.value && <p class="error" role="alert">{error.value}</p>}
      {!jobs.value ? <p role="status">{w.loading}</p> : jobs.value.length === 0 ? <p>{w.noJobs}</p> : jobs.value.map((j) => <JobView key={`${j.id}:${j.state}`} id={j.id} onChanged={() => void load()} />)}
      <button type="button" class="secondary" onClick={() => void load()}>{w.refresh}</button>
    </section>
  );
}
