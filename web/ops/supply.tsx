/**
 * The Supply view: confirmed deliveries per clinic × vaccine × week with what is allocated to slots
 * and booked (GET …/supply), a CSV upload (POST …/supply.csv, all rows or none: a refusal lists
 * every row's problem), and the cut report — the booked doses the new deliveries cannot cover
 * (src/campaigns/supply-routes.ts).
 */
import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError, call } from '../shared/http.ts';
import { pick } from '../shared/ui.tsx';
import { opsSupply as ko } from '../i18n/ko/ops-supply.ts';
import { opsSupply as en } from '../i18n/en/ops-supply.ts';
import type { SupplyReport, SupplyState } from '../../src/campaigns/supply-sql.ts';
import type { RowProblem } from './api.ts';
import { guarded } from './session.ts';
import { count, errorText, serverWords, t } from './words.ts';

const words = () => pick({ ko, en });
const staff = { csrfCookie: 'yeyak_staff_csrf' } as const;
const id = (s: string) => encodeURIComponent(s);

const supplyApi = {
  state: async (c: string) => (await call<{ id: string; supplyState?: 'available' | 'sold_out'; remainingFirstDoses: number }[]>('campaigns')).find((x) => x.id === c) ?? null,
  list: (c: string, clinicId: string) => call<{ rows: SupplyState[]; truncated: boolean }>(`admin/campaigns/${id(c)}/supply${clinicId ? `?clinicId=${id(clinicId)}` : ''}`),
  upload: (c: string, text: string) => call<SupplyReport & { imported: number }>(`admin/campaigns/${id(c)}/supply.csv`, { method: 'POST', raw: { type: 'text/csv; charset=utf-8', text }, ...staff }),
};

/** The tab's label (main.tsx). */
function SupplyTable({ rows }: { rows: SupplyState[] }) {
  const w = words();
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-labelledby="supply-caption">
      <table class="report" data-testid="supply-table">
        <caption id="supply-caption">{w.tableCaption}</caption>
        <thead>
          <tr>
            <th scope="col">{w.clinic}</th><th scope="col">{w.vaccine}</th><th scope="col">{w.week}</th>
            <th scope="col" class="num">{w.confirmed}</th><th scope="col" class="num">{w.allocated}</th>
            <th scope="col" class="num">{w.booked}</th><th scope="col" class="num">{w.uncovered}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.supplyId}>
              <td><code>{r.clinicId}</code></td><td>{r.vaccineId}</td><td>{r.weekStart}</td>
              <td class="num">{count(r.requested)}</td><td class="num">{count(r.allocated)}</td>
              <td class="num">{count(r.booked)}</td><td class="num">{r.uncovered > 0 ? <strong>{count(r.uncovered)}</strong> : '0'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CutReport({ report }: { report: SupplyReport & { imported: number } }) {
  const w = words();
  const cut = report.rows.reduce((n, r) => n + r.cut, 0);
  return (
    <div data-testid="supply-report">
      <p>{w.done(count(report.imported), count(cut))}</p>
      <h3>{w.cutHeading}</h3>
      {report.uncoveredTotal === 0 ? <p>{w.cutNone}</p> : (
        <>
          <p><strong>{w.cutCount(count(report.uncoveredTotal))}</strong></p>
          <div class="table-scroll" tabIndex={0} role="region" aria-label={w.cutHeading}>
            <table class="report" data-testid="uncovered">
              <thead><tr><th scope="col">{w.bookingNumber}</th><th scope="col" class="num">{w.dose}</th><th scope="col">{w.day}</th><th scope="col">{w.clinic}</th><th scope="col">{w.vaccine}</th></tr></thead>
              <tbody>
                {report.uncovered.map((u) => (
                  <tr key={`${u.bookingNumber}-${u.dose}`}><td><code>{u.bookingNumber}</code></td><td class="num">{u.dose}</td><td>{u.day}</td><td><code>{u.clinicId}</code></td><td>{u.vaccineId}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}

function Problems({ problems, total }: { problems: RowProblem[]; total: number }) {
  const w = { ...t().csv, ...words() };
  return (
    <div data-testid="supply-problems">
      <p class="error"><strong>{w.refused(count(total))}</strong></p>
      <table class="report">
        <thead><tr><th scope="col" class="num">{w.row}</th><th scope="col">{w.column}</th><th scope="col">{w.problem}</th></tr></thead>
        <tbody>
          {problems.map((p, i) => (
            <tr key={i}><td class="num">{p.row}</td><td>{p.column === null ? w.wholeRow : <code>{p.column}</code>}</td><td>{serverWords(p)}</td></tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Outcome = { report: SupplyReport & { imported: number } } | { problems: RowProblem[]; total: number } | { message: string };

export function SupplyPanel({ campaignId }: { campaignId: string }) {
  const w = { ...t().csv, loading: t().loading, ...words() };
  const clinic = useSignal('');
  const list = useSignal<{ rows: SupplyState[]; truncated: boolean } | null>(null);
  const state = useSignal<{ supplyState?: 'available' | 'sold_out'; remainingFirstDoses: number } | null>(null);
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);
  const outcome = useSignal<Outcome | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const load = async () => {
    await guarded(() => supplyApi.list(campaignId, clinic.value.trim())).then((v) => ((list.value = v), (error.value = null)), (e) => (error.value = errorText(e)));
    state.value = await supplyApi.state(campaignId).catch(() => null);
  };
  useEffect(() => void load(), [campaignId]);
  const upload = async (e: Event) => {
    e.preventDefault();
    const file = input.current?.files?.[0];
    if (!file) return void (outcome.value = { message: w.noFile });
    busy.value = true;
    try {
      outcome.value = { report: await guarded(async () => supplyApi.upload(campaignId, await file.text())) };
      await load();
    } catch (err) {
      const d = err instanceof ApiError && err.status === 422 ? (err.details as { errors?: RowProblem[]; errorCount?: number } | null) : null;
      outcome.value = Array.isArray(d?.errors) ? { problems: d.errors, total: d.errorCount ?? d.errors.length } : { message: errorText(err) };
    } finally {
      busy.value = false;
      if (input.current) input.current.value = '';
    }
  };
  const o = outcome.value;
  const v = list.value;
  return (
    <section class="supply" aria-labelledby="supply-heading" data-testid="supply">
      <h2 id="supply-heading">{w.heading}</h2>
      <p class="hint">{w.intro}</p>
      {state.value && (
        <p data-testid="supply-state" class={state.value.supplyState === 'sold_out' ? 'error' : undefined}>
          {state.value.supplyState === 'sold_out' ? w.soldOut : w.available(count(state.value.remainingFirstDoses))}
        </p>
      )}
      <form onSubmit={(e) => (e.preventDefault(), void load())}>
        <label for="supply-clinic">{w.clinicFilter}</label>
        <input id="supply-clinic" value={clinic.value} onInput={(e) => (clinic.value = (e.target as HTMLInputElement).value)} />
        <button type="submit">{w.show}</button>
      </form>
      {error.value && <p class="error" role="alert">{error.value}</p>}
      {!v ? <p role="status">{w.loading}</p> : v.rows.length === 0 ? <p>{w.none}</p> : <SupplyTable rows={v.rows} />}
      {v?.truncated && <p>{w.truncated(count(v.rows.length))}</p>}
      <h3>{w.uploadHeading}</h3>
      <form onSubmit={upload}>
        <p class="hint">{w.header}: <code>clinic_id,week_start,vaccine,doses</code></p>
        <label for="supply-file">{w.file}</label>
        <input id="supply-file" type="file" accept=".csv,text/csv" ref={input} data-testid="supply-file" />
        <button type="submit" disabled={busy.value} data-testid="supply-upload">{busy.value ? w.uploading : w.upload}</button>
      </form>
      <div role="status" aria-live="polite">
        {o && ('report' in o ? <CutReport report={o.report} /> : 'problems' in o ? <Problems problems={o.problems} total={o.total} /> : <p class="error">{o.message}</p>)}
      </div>
    </section>
  );
}
