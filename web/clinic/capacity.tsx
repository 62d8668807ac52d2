/**
 * Capacity per date and vaccine, two weeks at a time, with the confirmed supply behind it. A
 * first-dose capacity can be changed (PATCH …/slots/{date}); the server refuses below what is
 * booked or beyond the week's supply, and its answer is shown in words beside that row. The hint
 * (booked … capacity + the week's unallocated supply) is the same rule, said before trying.
 */
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, type CapacityRow, type CapacityView, type Supply } from './api.ts';
import { guarded } from './session.ts';
import { addDays, common, dayLabel, errorText, PLAUSIBLE_DAY, t, vaccineName } from './words.ts';

const SPAN_DAYS = 14;

/** The supply a day draws on: its vaccine's delivery for the week holding that day. */
function supplyOf(supply: Supply[], row: { date: string; vaccineId: string }): Supply | undefined {
  return supply.find((s) => s.vaccineId === row.vaccineId && s.weekStart <= row.date && row.date < addDays(s.weekStart, 7));
}

function byDate(rows: CapacityRow[]): [string, CapacityRow[]][] {
  const days = new Map<string, CapacityRow[]>();
  for (const r of rows) days.set(r.date, [...(days.get(r.date) ?? []), r]);
  return [...days.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([d, rs]) => [d, rs.sort((a, b) => a.dose - b.dose || (a.vaccineId < b.vaccineId ? -1 : 1))]);
}

export function Capacity(props: { clinicId: string; campaignId: string; today: string }) {
  const w = t().capacity;
  const from = useSignal(props.today);
  const view = useSignal<CapacityView | null>(null);
  const error = useSignal<string | null>(null);
  const to = addDays(from.value, SPAN_DAYS - 1);

  useEffect(() => {
    let current = true;
    view.value = null;
    error.value = null;
    guarded(() => api.capacity(props.clinicId, props.campaignId, from.value, to)).then(
      (v) => current && (view.value = v),
      (e: unknown) => current && (error.value = errorText(e)),
    );
    return () => {
      current = false;
    };
  }, [props.clinicId, props.campaignId, from.value]);

  /** A saved capacity: the row and its week's allocation move by the difference. */
  function saved(row: CapacityRow, capacity: number, remaining: number): void {
    const v = view.value;
    if (!v) return;
    const delta = capacity - row.capacity;
    const week = supplyOf(v.supply, row);
    view.value = {
      slots: v.slots.map((r) => (r === row ? { ...r, capacity, remaining } : r)),
      supply: v.supply.map((s) => (s === week ? { ...s, allocated: s.allocated + delta } : s)),
    };
  }

  const v = view.value;
  return (
    <section id="capacity" aria-labelledby="capacity-heading" class="panel">
      <h2 id="capacity-heading">{w.heading}</h2>
      <p>{w.intro}</p>
      <label for="capacity-from">{w.fromLabel}</label>
      <input id="capacity-from" class="date" type="date" value={from.value} onChange={(e) => PLAUSIBLE_DAY.test(e.currentTarget.value) && (from.value = e.currentTarget.value)} />
      <div class="pager">
        <button type="button" class="secondary" onClick={() => (from.value = addDays(from.value, -SPAN_DAYS))}>{w.earlier}</button>
        <button type="button" class="secondary" onClick={() => (from.value = addDays(from.value, SPAN_DAYS))}>{w.later}</button>
      </div>
      <p class="muted">{w.range(dayLabel(from.value), dayLabel(to))}</p>
      {error.value && <p class="error" role="alert">{error.value}</p>}
      {!v && !error.value && <p role="status">{common().loading}</p>}
      {v && v.slots.length === 0 && <p class="notice">{w.empty}</p>}
      {v && byDate(v.slots).map(([day, rows]) => (
        <div key={day} class="cap-day">
          <h3>{dayLabel(day)}</h3>
          <ul class="cap-rows">
            {rows.map((r) => (
              <CapacityItem key={`${r.dose}-${r.vaccineId}`} row={r} supply={supplyOf(v.supply, r)} clinicId={props.clinicId} campaignId={props.campaignId} onSaved={saved} />
            ))}
          </ul>
        </div>
      ))}
      {v && v.supply.length > 0 && <SupplyTable supply={v.supply} />}
    </section>
  );
}

interface ItemProps {
  row: CapacityRow;
  supply: Supply | undefined;
  clinicId: string;
  campaignId: string;
  onSaved: (row: CapacityRow, capacity: number, remaining: number) => void;
}

function CapacityItem(props: ItemProps) {
  const w = t().capacity;
  const { row, supply } = props;
  const id = `cap-${row.date}-${row.dose}-${row.vaccineId}`;
  const value = useSignal(String(row.capacity));
  const busy = useSignal(false);
  const message = useSignal<{ text: string; error: boolean } | null>(null);
  const dose = t().dose(row.dose);
  const headroom = supply ? supply.doses - supply.allocated : null;
  const title = `${vaccineName(row.vaccineId)} · ${dose}`;
  const counts = `${w.booked(row.booked)} · ${w.remaining(row.remaining)}`;

  if (row.dose !== 1) {
    return (
      <li class="cap-row">
        <p><span class="cap-title">{title}</span> <span class="counts">{`${w.capacityIs(row.capacity)} · ${counts}`}</span></p>
        <p class="muted">{w.dose2Fixed}</p>
      </li>
    );
  }

  async function save(e: Event): Promise<void> {
    e.preventDefault();
    const capacity = Number(value.value);
    if (!/^\d+$/.test(value.value.trim()) || !Number.isSafeInteger(capacity)) {
      message.value = { text: w.notInteger, error: true };
      return;
    }
    busy.value = true;
    message.value = null;
    try {
      const r = await guarded(() => api.setCapacity(props.clinicId, row.date, { campaignId: props.campaignId, capacity, vaccineId: row.vaccineId }));
      props.onSaved(row, r.capacity, r.remaining);
      value.value = String(r.capacity);
      message.value = { text: w.saved(r.capacity), error: false };
    } catch (err) {
      message.value = { text: errorText(err), error: true };
    } finally {
      busy.value = false;
    }
  }

  return (
    <li class="cap-row">
      <form onSubmit={save} noValidate>
        <p><span class="cap-title">{title}</span> <span class="counts">{counts}</span></p>
        <div class="cap-edit">
          <label for={id}>{w.capacityField}<span class="sr-only"> ({w.capacityLabel(dayLabel(row.date), vaccineName(row.vaccineId), dose)})</span></label>
          <input
            id={id}
            data-testid={id}
            type="number"
            inputMode="numeric"
            min={row.booked}
            max={headroom === null ? undefined : row.capacity + headroom}
            value={value.value}
            onInput={(e) => (value.value = e.currentTarget.value)}
            aria-describedby={`${id}-hint ${id}-msg`}
            aria-invalid={message.value?.error ? true : undefined}
          />
          <button type="submit" data-testid={`${id}-save`} disabled={busy.value}>{busy.value ? w.saving : w.save}</button>
        </div>
        <p id={`${id}-hint`} class="muted">
          {headroom === null ? w.noSupply : `${w.limits(row.booked, row.capacity + headroom)} ${w.headroom(headroom)}`}
        </p>
        <p id={`${id}-msg`} class={`live ${message.value?.error ? 'error' : 'ok'}`} aria-live="polite">{message.value?.text}</p>
      </form>
    </li>
  );
}

function SupplyTable(props: { supply: Supply[] }) {
  const w = t().capacity;
  const rows = [...props.supply].sort((a, b) => (a.weekStart < b.weekStart ? -1 : a.weekStart > b.weekStart ? 1 : a.vaccineId < b.vaccineId ? -1 : 1));
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="supply-caption">
      <table>
        <caption id="supply-caption">{w.supplyHeading}</caption>
        <thead>
          <tr><th scope="col">{w.weekOf}</th><th scope="col">{t().today.vaccine}</th><th scope="col">{w.doses}</th><th scope="col">{w.allocated}</th><th scope="col">{w.headroomCol}</th></tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={`${s.weekStart}-${s.vaccineId}`}>
              <td>{dayLabel(s.weekStart)}</td><td>{vaccineName(s.vaccineId)}</td><td>{s.doses}</td><td>{s.allocated}</td><td>{s.doses - s.allocated}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
