/**
 * Leftover doses for today: release K doses of a vaccine until a time (POST …/leftovers), see
 * today's releases with what was taken and what is left (refreshed every 30 s, as people book
 * them), withdraw one (DELETE …/leftovers/{id}: what is untaken is no longer offered).
 */
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { nowMs } from '../shared/clock.ts';
import { api, type Leftover } from './api.ts';
import { guarded } from './session.ts';
import { errorText, koreaTime, t, vaccineName } from './words.ts';

const REFRESH_MS = 30_000; // taken counts move as people book; 30 s is fresh enough for a clinic
const DOSES_MAX = 100; // as leftover_release's CHECK
const HOUR_MS = 3_600_000;

/** Two hours from now in Korea, on the hour, but never past 23:59 (a release is for today). */
function defaultUntil(): string {
  const now = nowMs();
  const at = koreaTime(new Date(Math.ceil((now + 2 * HOUR_MS) / HOUR_MS) * HOUR_MS).toISOString());
  return at > koreaTime(new Date(now).toISOString()) ? at : '23:59';
}

type State = 'open' | 'closed' | 'withdrawn';
function stateOf(l: Leftover): State {
  if (l.withdrawnAt) return 'withdrawn';
  const until = Date.parse(l.until);
  return Number.isFinite(until) && until <= nowMs() ? 'closed' : l.taken >= l.doses ? 'closed' : 'open';
}
const MARK: Record<State, string> = { open: '●', closed: '■', withdrawn: '■' };

export function Leftovers(props: { clinicId: string; campaignId: string; today: string }) {
  const w = t().leftovers;
  const list = useSignal<Leftover[] | null>(null);
  const vaccines = useSignal<string[] | null>(null);
  const error = useSignal<string | null>(null);
  const note = useSignal<{ text: string; error: boolean } | null>(null);
  const withdrawing = useSignal<Leftover['id'] | null>(null);

  async function reload(): Promise<void> {
    try {
      list.value = await guarded(() => api.leftovers(props.clinicId));
      error.value = null;
    } catch (e) {
      error.value = errorText(e);
    }
  }

  useEffect(() => {
    void reload();
    // The vaccines this clinic has supply of today (its week's delivery).
    guarded(() => api.capacity(props.clinicId, props.campaignId, props.today, props.today)).then(
      (v) => (vaccines.value = [...new Set([...v.supply.map((s) => s.vaccineId), ...v.slots.map((s) => s.vaccineId)])]),
      () => (vaccines.value = []),
    );
    const timer = setInterval(() => void reload(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [props.clinicId, props.campaignId]);

  async function withdraw(l: Leftover): Promise<void> {
    note.value = null;
    withdrawing.value = l.id;
    try {
      await guarded(() => api.withdraw(props.clinicId, l.id));
      note.value = { text: w.withdrawn(vaccineName(l.vaccineId)), error: false };
      await reload();
    } catch (e) {
      note.value = { text: errorText(e), error: true };
    } finally {
      withdrawing.value = null;
    }
  }

  const mine = list.value ?? [];
  return (
    <section id="leftovers" aria-labelledby="leftovers-heading" class="panel">
      <h2 id="leftovers-heading">{w.heading}</h2>
      <p>{w.intro}</p>
      {vaccines.value && vaccines.value.length === 0 && <p class="notice">{w.noVaccine}</p>}
      {vaccines.value && vaccines.value.length > 0 && (
        <ReleaseForm clinicId={props.clinicId} campaignId={props.campaignId} vaccines={vaccines.value} onReleased={(text) => { note.value = { text, error: false }; void reload(); }} />
      )}
      <p class={`live ${note.value?.error ? 'error' : 'ok'}`} role="status">{note.value?.text}</p>
      <h3>{w.listHeading}</h3>
      {error.value && <p class="error" role="alert">{error.value}</p>}
      {list.value && mine.length === 0 && <p class="muted">{w.empty}</p>}
      <ul class="leftovers" aria-live="polite">
        {mine.map((l) => {
          const state = stateOf(l);
          return (
            <li key={l.id} class={`leftover ${state}`} data-testid={`leftover-${l.id}`}>
              <p class="cap-title">{w.item(vaccineName(l.vaccineId), l.doses)} · {w.until(koreaTime(l.until))}</p>
              <p>
                <strong><span aria-hidden="true">{MARK[state]} </span>{w.states[state]}</strong>
                {' · '}{w.taken(l.taken)} · {w.left(state === 'withdrawn' ? 0 : l.doses - l.taken)}
                <span class="muted"> · {w.releasedAt(koreaTime(l.releasedAt))}</span>
              </p>
              {state === 'open' && (
                <button type="button" class="secondary" data-testid={`leftover-${l.id}-withdraw`} disabled={withdrawing.value === l.id} onClick={() => void withdraw(l)}>
                  {withdrawing.value === l.id ? w.withdrawing : w.withdraw}<span class="sr-only"> ({w.item(vaccineName(l.vaccineId), l.doses)})</span>
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function ReleaseForm(props: { clinicId: string; campaignId: string; vaccines: string[]; onReleased: (text: string) => void }) {
  const w = t().leftovers;
  const vaccine = useSignal(props.vaccines[0]!);
  const doses = useSignal('');
  const until = useSignal(defaultUntil());
  const busy = useSignal(false);
  const error = useSignal<{ field: 'doses' | 'until' | null; text: string } | null>(null);

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    const n = Number(doses.value);
    if (!/^\d+$/.test(doses.value.trim()) || n < 1 || n > DOSES_MAX) {
      error.value = { field: 'doses', text: w.dosesInvalid };
      document.getElementById('leftover-doses')?.focus();
      return;
    }
    if (!/^\d\d:\d\d$/.test(until.value)) {
      error.value = { field: 'until', text: w.untilInvalid };
      document.getElementById('leftover-until')?.focus();
      return;
    }
    busy.value = true;
    error.value = null;
    try {
      await guarded(() => api.release(props.clinicId, { campaignId: props.campaignId, vaccineId: vaccine.value, doses: n, until: until.value }));
      doses.value = '';
      props.onReleased(w.released(n, vaccineName(vaccine.value), until.value));
    } catch (err) {
      error.value = { field: null, text: errorText(err) };
    } finally {
      busy.value = false;
    }
  }

  const err = error.value;
  return (
    <form onSubmit={submit} noValidate class="release">
      <label for="leftover-vaccine">{w.vaccineLabel}</label>
      <select id="leftover-vaccine" data-testid="leftover-vaccine" value={vaccine.value} onChange={(e) => (vaccine.value = e.currentTarget.value)}>
        {props.vaccines.map((v) => <option key={v} value={v}>{vaccineName(v)}</option>)}
      </select>
      <label for="leftover-doses">{w.dosesLabel}</label>
      <input id="leftover-doses" data-testid="leftover-doses" type="number" inputMode="numeric" min={1} max={DOSES_MAX} value={doses.value}
        onInput={(e) => { doses.value = e.currentTarget.value; error.value = null; }} aria-invalid={err?.field === 'doses' ? true : undefined} aria-describedby={err?.field === 'doses' ? 'leftover-error' : undefined} />
      <label for="leftover-until">{w.untilLabel}</label>
      <input id="leftover-until" data-testid="leftover-until" type="time" value={until.value}
        onInput={(e) => { until.value = e.currentTarget.value; error.value = null; }} aria-invalid={err?.field === 'until' ? true : undefined} aria-describedby={err?.field === 'until' ? 'leftover-error' : undefined} />
      {err && <p id="leftover-error" class="error" role="alert">{err.text}</p>}
      <p><button type="submit" data-testid="leftover-release" disabled={busy.value}>{busy.value ? w.submitting : w.submit}</button></p>
    </form>
  );
}
