/**
 * The Outbox view: notices per state and the dead letters (phones masked by the server, no
 * payload), each with a Retry button, and one to retry them all (src/notifications/routes.ts).
 * A retried notice goes back to pending; the worker sends it with the same idempotency key.
 */
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { call } from '../shared/http.ts';
import { pick } from '../shared/ui.tsx';
import { opsOutbox as ko } from '../i18n/ko/ops-outbox.ts';
import { opsOutbox as en } from '../i18n/en/ops-outbox.ts';
import { guarded } from './session.ts';
import { count, errorText, koreaDateTime } from './words.ts';
import './outbox.css';

const words = () => pick({ ko, en });

type OutboxState = 'pending' | 'sent' | 'dead';

interface OutboxRow {
  id: number;
  topic: string;
  state: OutboxState;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  deadAt: string | null;
  channel: string | null;
  to: string | null;
}

interface OutboxView {
  counts: Record<OutboxState, number>;
  rows: OutboxRow[];
}

const staff = { csrfCookie: 'yeyak_staff_csrf' } as const;

const outboxApi = {
  dead: () => call<OutboxView>('admin/outbox?state=dead&limit=100'),
  retry: (id: number) => call<{ id: number; state: 'pending' }>(`admin/outbox/${id}/retry`, { method: 'POST', ...staff }),
  retryAll: () => call<{ retried: number }>('admin/outbox/retry-dead', { method: 'POST', ...staff }),
};

/** The tab's label (main.tsx). */
export function OutboxPanel() {
  const w = words();
  const view = useSignal<OutboxView | null>(null);
  const error = useSignal<string | null>(null);
  const said = useSignal<string | null>(null);
  const busy = useSignal(false);
  const load = () =>
    guarded(() => outboxApi.dead()).then(
      (v) => ((view.value = v), (error.value = null)),
      (e) => (error.value = errorText(e)),
    );
  useEffect(() => {
    void load();
  }, []);
  const act = async (run: () => Promise<string>) => {
    busy.value = true;
    try {
      said.value = await run();
      error.value = null;
    } catch (e) {
      error.value = errorText(e);
    } finally {
      busy.value = false;
      await load();
    }
  };
  const v = view.value;
  return (
    <section class="outbox" aria-labelledby="outbox-heading" data-testid="outbox">
      <h2 id="outbox-heading">{w.heading}</h2>
      <p class="hint">{w.intro}</p>
      {error.value && <p class="error" role="alert">{error.value}</p>}
      <p role="status">{said.value ?? ''}</p>
      {!v ? (
        <p role="status">{w.loading}</p>
      ) : (
        <>
          <h3>{w.counts}</h3>
          <dl class="outbox-counts" data-testid="outbox-counts">
            {(['pending', 'sent', 'dead'] as const).map((s) => (
              <div key={s}>
                <dt>{w.state[s]}</dt>
                <dd data-testid={`outbox-${s}`}>{count(v.counts[s])}</dd>
              </div>
            ))}
          </dl>
          <h3>{w.deadHeading}</h3>
          {v.rows.length === 0 ? (
            <p>{w.none}</p>
          ) : (
            <>
              <button type="button" disabled={busy.value} onClick={() => act(async () => w.retriedAll((await guarded(() => outboxApi.retryAll())).retried))}>
                {w.retryAll(v.counts.dead)}
              </button>
              <table class="outbox-dead">
                <thead>
                  <tr>{Object.values(w.columns).map((c) => <th key={c} scope="col">{c}</th>)}</tr>
                </thead>
                <tbody>
                  {v.rows.map((r) => (
                    <tr key={r.id} data-testid={`outbox-row-${r.id}`}>
                      <td>{r.id}</td>
                      <td>{w.topics[r.topic] ?? r.topic}</td>
                      <td>{r.to ?? '-'}</td>
                      <td>{count(r.attempts)}</td>
                      <td><code>{r.lastError ?? '-'}</code></td>
                      <td>{koreaDateTime(r.createdAt)}</td>
                      <td>{r.deadAt ? koreaDateTime(r.deadAt) : '-'}</td>
                      <td>
                        <button type="button" aria-label={w.retryLabel(r.id)} disabled={busy.value} onClick={() => act(async () => (await guarded(() => outboxApi.retry(r.id)), w.retried(r.id)))}>
                          {w.retry}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          <button type="button" class="secondary" disabled={busy.value} onClick={() => void load()}>{w.refresh}</button>
        </>
      )}
    </section>
  );
}
