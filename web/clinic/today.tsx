/**
 * The day's list (default today in Korea; any other day by the date field): each confirmed dose
 * with the person's name and birth date, and buttons to record it administered or a no-show
 * (PUT …/doses/{bookingNumber}/{dose}). A no-show asks first; it may later be corrected to
 * administered (the person came late), an administered dose stays so (the server's rule).
 * Outcomes are words with a mark (✓ ✗ ○), never colour alone.
 */
import { useComputed, useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from '../shared/http.ts';
import { api, type DoseRow, type Outcome } from './api.ts';
import { guarded } from './session.ts';
import { common, dayLabel, errorText, PLAUSIBLE_DAY, t, vaccineName } from './words.ts';

/** A mark beside each outcome's word, so it never rests on colour (the word says it to screen readers). */
const MARK = { administered: '✓', no_show: '✗', pending: '○' } as const;

const rowKey = (r: DoseRow) => `${r.bookingNumber}-${r.dose}`;

export function DayList(props: { clinicId: string; today: string }) {
  const w = t().today;
  const date = useSignal(props.today);
  const rows = useSignal<DoseRow[] | null>(null);
  const error = useSignal<string | null>(null);
  const filter = useSignal('');

  useEffect(() => {
    let current = true;
    rows.value = null;
    error.value = null;
    guarded(() => api.reservations(props.clinicId, date.value)).then(
      (r) => current && (rows.value = r.reservations),
      (e: unknown) => current && (error.value = errorText(e)),
    );
    return () => {
      current = false;
    };
  }, [props.clinicId, date.value]);

  const shown = useComputed(() => {
    const q = filter.value.trim().toLowerCase();
    const all = rows.value ?? [];
    return q ? all.filter((r) => r.name.toLowerCase().includes(q) || r.bookingNumber.toLowerCase().includes(q)) : all;
  });

  function recorded(row: DoseRow, outcome: Outcome): void {
    rows.value = (rows.value ?? []).map((r) => (rowKey(r) === rowKey(row) ? { ...r, outcome } : r));
  }

  const list = rows.value;
  const count = (o: Outcome | null) => (list ?? []).filter((r) => r.outcome === o).length;
  return (
    <section id="today" aria-labelledby="today-heading" class="panel">
      <h2 id="today-heading">{w.heading} <span class="day">{dayLabel(date.value)}</span></h2>
      <p class="muted">{w.todayIs(dayLabel(props.today))}</p>
      <label for="list-date">{w.dateLabel}</label>
      <div class="pager">
        <input id="list-date" data-testid="list-date" class="date" type="date" value={date.value} onChange={(e) => PLAUSIBLE_DAY.test(e.currentTarget.value) && (date.value = e.currentTarget.value)} />
        {date.value !== props.today && <button type="button" class="secondary" onClick={() => (date.value = props.today)}>{w.todayButton}</button>}
      </div>
      {error.value && <p class="error" role="alert">{error.value}</p>}
      {list === null && !error.value && <p role="status">{common().loading}</p>}
      {list && (
        <>
          <p class="summary" data-testid="list-summary">{w.summary(list.length, count('administered'), count('no_show'), count(null))}</p>
          {date.value > props.today && list.length > 0 && <p class="notice">{w.future}</p>}
          {list.length === 0 ? <p class="notice">{w.empty}</p> : (
            <>
              <label for="list-filter">{w.filterLabel}</label>
              <input id="list-filter" type="search" value={filter.value} onInput={(e) => (filter.value = e.currentTarget.value)} autocomplete="off" />
              {shown.value.length === 0 && <p class="notice" role="status">{w.filterNone}</p>}
              <ul class="doses">
                {shown.value.map((r) => (
                  <DoseItem key={rowKey(r)} clinicId={props.clinicId} row={r} due={date.value <= props.today} onRecorded={recorded} />
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}

function DoseItem(props: { clinicId: string; row: DoseRow; due: boolean; onRecorded: (row: DoseRow, outcome: Outcome) => void }) {
  const w = t().today;
  const { row } = props;
  const id = `dose-${row.bookingNumber}-${row.dose}`;
  const dose = t().dose(row.dose);
  const busy = useSignal(false);
  const confirming = useSignal(false);
  const message = useSignal<{ text: string; error: boolean } | null>(null);
  const confirmYes = useRef<HTMLButtonElement>(null);
  const status = useRef<HTMLParagraphElement>(null);
  const noShow = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming.value) confirmYes.current?.focus();
  }, [confirming.value]);

  async function record(outcome: Outcome): Promise<void> {
    busy.value = true;
    message.value = null;
    try {
      const stored = await guarded(() => api.recordDose(props.clinicId, row.bookingNumber, row.dose, outcome));
      props.onRecorded(row, stored.outcome);
      message.value = { text: w.recorded(row.name, dose, w.outcomes[stored.outcome]), error: false };
    } catch (e) {
      // Another device recorded it administered meanwhile: show what is stored, and why.
      if (e instanceof ApiError && e.code === 'YEYAK_E_DOSE_ALREADY_ADMINISTERED') props.onRecorded(row, 'administered');
      message.value = { text: errorText(e), error: true };
    } finally {
      busy.value = false;
      confirming.value = false;
      // The pressed button may be gone now: keep the keyboard on this row, at its news.
      requestAnimationFrame(() => status.current?.focus());
    }
  }

  function cancel(): void {
    confirming.value = false;
    requestAnimationFrame(() => noShow.current?.focus());
  }

  const outcome = row.outcome;
  return (
    <li class={`dose ${outcome ?? 'pending'}`}>
      <h3 id={`${id}-name`} class="dose-name">{row.name} <span class="dose-n">{dose}</span></h3>
      <dl class="facts">
        <dt>{w.bookingNumber}</dt><dd>{row.bookingNumber}</dd>
        <dt>{w.birthDate}</dt><dd>{row.birthDate}</dd>
        <dt>{w.vaccine}</dt><dd>{vaccineName(row.vaccine)}</dd>
        <dt>{w.outcome}</dt><dd><strong class={`outcome ${outcome ?? 'pending'}`} data-testid={`${id}-outcome`}><span aria-hidden="true">{MARK[outcome ?? 'pending']} </span>{w.outcomes[outcome ?? 'pending']}</strong></dd>
      </dl>
      <p ref={status} tabIndex={-1} class={`live ${message.value?.error ? 'error' : 'ok'}`} aria-live="polite">{message.value?.text}</p>
      {!props.due ? null : confirming.value ? (
        <div class="confirm" role="group" aria-labelledby={`${id}-confirm`} onKeyDown={(e) => e.key === 'Escape' && cancel()}>
          <p id={`${id}-confirm`}>{w.confirmNoShow(row.name, dose)}</p>
          <button type="button" ref={confirmYes} data-testid={`${id}-no_show-confirm`} disabled={busy.value} onClick={() => void record('no_show')}>{busy.value ? w.saving : w.confirmYes}</button>
          <button type="button" class="secondary" disabled={busy.value} onClick={cancel}>{w.confirmNo}</button>
        </div>
      ) : outcome === 'administered' ? null : (
        <div class="actions">
          <button type="button" data-testid={`${id}-administered`} aria-describedby={`${id}-name`} disabled={busy.value} onClick={() => void record('administered')}>
            {busy.value ? w.saving : outcome === 'no_show' ? w.correctToAdministered : w.markAdministered}
          </button>
          {outcome === null && (
            <button type="button" class="secondary" ref={noShow} data-testid={`${id}-no_show`} aria-describedby={`${id}-name`} disabled={busy.value} onClick={() => (confirming.value = true)}>{w.markNoShow}</button>
          )}
        </div>
      )}
    </li>
  );
}
