/**
 * CSV uploads: dose-1 capacity per clinic, day and vaccine, or a cohort roster (name, RRN). The
 * file's text goes as text/csv; the server reads it with a CSV parser and imports all of it or
 * nothing. A refused file comes back as a row-by-row report (row as a spreadsheet numbers it,
 * the column, the problem in words — never the value), shown as a table that takes the focus.
 */
import { useSignal } from '@preact/signals';
import { useRef } from 'preact/hooks';
import { ApiError } from '../shared/http.ts';
import { api, type CsvKind, type RowProblem } from './api.ts';
import { guarded } from './session.ts';
import { count, errorText, serverWords, t } from './words.ts';

/** The server's body limit for an upload (src/campaigns/csv.ts CSV_BODY_LIMIT_BYTES). */
const CSV_BYTES_MAX = 5 * 1024 * 1024;

type Report =
  | { kind: CsvKind; ok: true; file: string; imported: number; rows: number }
  | { kind: CsvKind; ok: false; file: string; problems: RowProblem[]; total: number }
  | { kind: CsvKind; ok: false; file: string; message: string };

function refused(e: unknown): { problems: RowProblem[]; total: number } | null {
  if (!(e instanceof ApiError) || e.status !== 422) return null;
  const d = e.details as { errors?: RowProblem[]; errorCount?: number } | null;
  if (!Array.isArray(d?.errors)) return null;
  return { problems: d.errors, total: d.errorCount ?? d.errors.length };
}

/** " (의료기관 ID)": a column's name in words, unless the words are the name itself. */
function gloss(columns: Record<string, string>, column: string): string {
  const words = columns[column];
  return words && words.replace(/ /g, '_').toLowerCase() !== column ? ` (${words})` : '';
}

function ReportView({ report }: { report: Report }) {
  const w = t().csv;
  if (report.ok) {
    return (
      <>
        <h3 class="ok-heading"><span aria-hidden="true">✓ </span>{w.importedHeading}</h3>
        <p>{report.kind === 'capacity' ? w.importedCapacity(report.file, count(report.imported), count(report.rows)) : w.importedRoster(report.file, count(report.imported), count(report.rows))}</p>
      </>
    );
  }
  if ('message' in report) {
    return (
      <>
        <h3 class="bad-heading"><span aria-hidden="true">✗ </span>{w.notImportedHeading}</h3>
        <p>{w.nothingImported}</p>
        <p class="error">{report.message}</p>
      </>
    );
  }
  const columns = w.columns as Record<string, string>;
  return (
    <>
      <h3 class="bad-heading"><span aria-hidden="true">✗ </span>{w.refusedHeading(count(report.total))}</h3>
      <p><strong>{w.nothingImported}</strong> {w.fixAndRetry}</p>
      {report.total > report.problems.length && <p>{w.firstShown(count(report.problems.length), count(report.total))}</p>}
      <div class="table-scroll" tabIndex={0} role="region" aria-labelledby="csv-table-caption">
        <table class="report">
          <caption id="csv-table-caption">{w.tableCaption(report.file)}</caption>
          <thead>
            <tr>
              <th scope="col" class="num">{w.row}</th>
              <th scope="col">{w.column}</th>
              <th scope="col">{w.problem}</th>
            </tr>
          </thead>
          <tbody>
            {report.problems.map((p, i) => (
              <tr key={i}>
                <td class="num">{p.row}</td>
                <td>{p.column === null ? w.wholeRow : <><code>{p.column}</code>{gloss(columns, p.column)}</>}</td>
                <td>{serverWords(p)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function CsvUpload({ campaignId }: { campaignId: string }) {
  const w = t().csv;
  const kind = useSignal<CsvKind>('capacity');
  const busy = useSignal(false);
  const fileProblem = useSignal<string | null>(null);
  const report = useSignal<Report | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const reportRef = useRef<HTMLDivElement>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    const file = input.current?.files?.[0];
    fileProblem.value = !file ? w.noFile : file.size === 0 ? w.emptyFile : file.size > CSV_BYTES_MAX ? w.tooBig : null;
    if (!file || fileProblem.value) {
      input.current?.focus();
      return;
    }
    const k = kind.value;
    busy.value = true;
    report.value = null;
    try {
      const text = await file.text();
      const r = await guarded(() => api.importCsv(campaignId, k, text));
      report.value = { kind: k, ok: true, file: file.name, imported: r.imported, rows: r.rows };
    } catch (err) {
      const rows = refused(err);
      report.value = rows ? { kind: k, ok: false, file: file.name, ...rows } : { kind: k, ok: false, file: file.name, message: errorText(err) };
    } finally {
      busy.value = false;
      // The file is not kept in the page (a roster holds resident registration numbers).
      if (input.current) input.current.value = '';
      requestAnimationFrame(() => reportRef.current?.focus());
    }
  };

  const option = (k: CsvKind, label: string, header: string) => (
    <label class="check" for={`csv-kind-${k}`}>
      <input type="radio" id={`csv-kind-${k}`} name="csv-kind" data-testid={`csv-kind-${k}`} checked={kind.value === k} onChange={() => (kind.value = k)} />
      <span>{label}<br /><span class="hint">{w.header}: <code>{header}</code></span></span>
    </label>
  );

  return (
    <section aria-labelledby="csv-heading" class="csv">
      <h2 id="csv-heading">{w.heading}</h2>
      <p class="hint">{w.intro}</p>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <fieldset>
          <legend>{w.what}</legend>
          {option('capacity', w.capacity, 'clinic_id,date,vaccine,capacity')}
          {option('roster', w.roster, 'name,rrn')}
        </fieldset>
        <label for="csv-file">{w.file}</label>
        <input id="csv-file" data-testid="csv-file" ref={input} type="file" accept=".csv,text/csv"
          aria-describedby={`csv-file-hint${fileProblem.value ? ' csv-file-error' : ''}`} aria-invalid={fileProblem.value ? true : undefined}
          onChange={() => (fileProblem.value = null)} />
        <p id="csv-file-hint" class="hint">{w.fileHint}</p>
        {fileProblem.value && <p id="csv-file-error" class="field-error">{fileProblem.value}</p>}
        <p><button type="submit" data-testid="csv-upload" disabled={busy.value}>{busy.value ? w.uploading : w.upload}</button></p>
      </form>
      <div data-testid="csv-report" class={`csv-report ${report.value ? (report.value.ok ? 'ok' : 'bad') : ''}`} ref={reportRef} tabIndex={-1}
        role="region" aria-label={w.reportLabel}>
        {report.value && <ReportView report={report.value} />}
      </div>
    </section>
  );
}
