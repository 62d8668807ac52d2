/**
 * My booking (`#/my`): look up (the booking number is found from the session where it can be),
 * change (another date and/or clinic: PATCH) and cancel (DELETE), with the change and cancel
 * windows shown before the citizen tries; a closed window disables its button and says why.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Clinic, type DateLeft } from './api.ts';
import { go, setNext } from './router.ts';
import { campaigns, dropPass, goToWaitingRoom, hasSession, loadCampaigns, passOf, takeAfterWait, writeHeaders, type AfterWait } from './state.ts';
import { codeOf, Loading, Problem, Title, useT } from './parts.tsx';
import { Dates, RegionAndClinic } from './picker.tsx';
import { needsSession } from './eligibility.tsx';
import { focusHeading } from './book.tsx';
import { BookingNumber, loadReservation, ReservationFacts, Rules, windowsFor, type Loaded } from './receipt.tsx';

const NUMBER = /^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/;

/** "k7m2 9qx4pt3a" → "K7M2-9QX4-PT3A". */
function normalize(n: string): string {
  const s = n.toUpperCase().replace(/[^0-9A-Z]/g, '');
  return s.length === 12 ? `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}` : n.trim().toUpperCase();
}

export function My() {
  const t = useT();
  const [signedIn, setSignedIn] = useState(hasSession());
  const [number, setNumber] = useState('');
  const [bad, setBad] = useState(false);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // Back from the waiting room with a pass: carry on with the change or the cancel asked for.
  const [intent] = useState<AfterWait | null>(takeAfterWait);

  const lookup = async (n: string) => {
    const bn = normalize(n);
    setNumber(bn);
    setBad(!NUMBER.test(bn));
    if (!NUMBER.test(bn)) return;
    setBusy(true);
    setError(null);
    try {
      setLoaded(await loadReservation(bn));
    } catch (e) {
      if (needsSession(e)) setSignedIn(false);
      else setError(e);
      setLoaded(null);
    } finally {
      setBusy(false);
    }
  };

  // The session's own booking number, from each campaign's eligibility answer.
  useEffect(() => {
    if (!signedIn) return;
    void (async () => {
      for (const c of campaigns.value ?? (await loadCampaigns()) ?? []) {
        const bn = await api.eligibility(c.id).then((a) => a.bookingNumber, (e) => (needsSession(e) ? setSignedIn(false) : undefined));
        if (bn) return lookup(bn);
      }
    })();
  }, [signedIn]);

  if (!signedIn) {
    return (
      <>
        <Title>{t.my.title}</Title>
        <p>{t.my.needVerify}</p>
        <button type="button" class="big" onClick={() => (setNext('#/my'), go('#/verify'))}>{t.my.verify}</button>
      </>
    );
  }
  return (
    <>
      <Title>{t.my.title}</Title>
      <p>{t.my.intro}</p>
      <form
        class="lookup"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void lookup(number);
        }}
      >
        <label for="bn">{t.my.number}</label>
        <input
          id="bn"
          data-testid="booking-number-input"
          autocapitalize="characters"
          autocomplete="off"
          maxLength={16}
          value={number}
          aria-invalid={bad ? 'true' : undefined}
          aria-describedby={bad ? 'bn-hint bn-error' : 'bn-hint'}
          onInput={(e) => setNumber(e.currentTarget.value)}
        />
        <p id="bn-hint" class="hint">{t.my.numberHint}</p>
        {bad && <p id="bn-error" class="field-error">{t.my.numberBad}</p>}
        <button type="submit" data-testid="lookup" disabled={busy}>{t.my.lookup}</button>
      </form>
      <Problem error={error} />
      {busy && <Loading />}
      {loaded && <Manage key={loaded.r.bookingNumber} loaded={loaded} onLoaded={setLoaded} intent={intent} />}
    </>
  );
}

function Manage(props: { loaded: Loaded; onLoaded(l: Loaded): void; intent: AfterWait | null }) {
  const t = useT();
  const { r, c } = props.loaded;
  const [mode, setMode] = useState<'view' | 'change' | 'cancel'>(props.intent === 'my:change' ? 'change' : props.intent === 'my:cancel' ? 'cancel' : 'view');
  const [done, setDone] = useState<string | null>(null);
  const day1 = r.doses.find((d) => d.dose === 1)?.date ?? '';
  const confirmed = r.status !== 'cancelled';
  const w = c && day1 ? windowsFor(c, day1) : null;
  const needPass = !!c?.waitingRoom.enabled && passOf(c.id) === null;
  const finished = (l: Loaded, message: string) => {
    if (c) dropPass(c.id); // the write spent the pass
    setMode('view');
    setDone(message);
    props.onLoaded(l);
    focusHeading('my-done');
  };
  return (
    <section aria-labelledby="found" class="step">
      <h2 id="found">{t.my.found}</h2>
      {done && (
        <p id="my-done" tabIndex={-1} class="notice" role="status">
          {done}
        </p>
      )}
      <BookingNumber n={r.bookingNumber} />
      <ReservationFacts {...props.loaded} />
      {confirmed && c && <Rules c={c} day1={day1} />}
      {confirmed && c && w && needPass && <p class="notice">{t.my.passNeeded}</p>}
      {confirmed && c && w && (
        <div class="actions">
          <button
            type="button"
            data-testid="change"
            disabled={!w.changeOpen}
            aria-expanded={mode === 'change'}
            onClick={() => (needPass ? goToWaitingRoom(c.id, 'my:change') : setMode(mode === 'change' ? 'view' : 'change'))}
          >
            {t.my.change}
          </button>
          <button type="button" class="danger" data-testid="cancel" disabled={!w.cancelOpen} aria-expanded={mode === 'cancel'} onClick={() => setMode(mode === 'cancel' ? 'view' : 'cancel')}>
            {t.my.cancel}
          </button>
        </div>
      )}
      {mode === 'change' && c && w && <Change loaded={props.loaded} firstNewDay={w.firstNewDay} onDone={(l) => finished(l, t.my.changed)} onClose={() => setMode('view')} />}
      {mode === 'cancel' && confirmed && (
        <Cancel loaded={props.loaded} needPass={needPass} now={props.intent === 'my:cancel'} onDone={(l) => finished(l, t.my.cancelled)} onClose={() => setMode('view')} />
      )}
    </section>
  );
}

function Change(props: { loaded: Loaded; firstNewDay: string; onDone(l: Loaded): void; onClose(): void }) {
  const t = useT();
  const { r, c } = props.loaded;
  const current = props.loaded.clinic;
  const day1 = r.doses.find((d) => d.dose === 1)?.date ?? '';
  const [clinic, setClinic] = useState<Clinic | null>(current);
  const [other, setOther] = useState(!current);
  const [date, setDate] = useState<DateLeft | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => focusHeading('change-title'), []);
  if (!c) return null;
  const sameClinic = clinic?.id === current?.id;
  const submit = async () => {
    if (!clinic || !date) return setError(null);
    setBusy(true);
    setError(null);
    try {
      const body = sameClinic ? { date: date.date } : { clinicId: clinic.id, date: date.date };
      await api.change(r.bookingNumber, body, writeHeaders(c));
      props.onDone(await loadReservation(r.bookingNumber));
    } catch (e) {
      setError(e);
      if (['YEYAK_E_SLOT_FULL', 'YEYAK_E_DOSE2_FULL', 'YEYAK_E_DATE_NOT_OFFERED'].includes(codeOf(e) ?? '')) {
        setDate(null);
        setReload(reload + 1);
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="panel">
      <h3 id="change-title" tabIndex={-1}>{t.my.changeTitle}</h3>
      <p>{t.my.changeDateHint}</p>
      <button type="button" class="secondary" onClick={() => (setOther(!other), setClinic(other ? current : null), setDate(null))}>
        {other ? t.my.sameClinic : t.my.otherClinic}
      </button>
      {other && (
        <RegionAndClinic campaignId={c.id} chosen={clinic} onClinic={(x) => (setClinic(x), setDate(null), focusHeading('dates'))} onReopen={() => (setClinic(null), setDate(null))} reload={reload} />
      )}
      {clinic && (
        <Dates
          campaignId={c.id}
          clinic={clinic}
          chosen={date}
          onReopen={() => setDate(null)}
          allow={(d) => d.date >= props.firstNewDay && !(sameClinic && d.date === day1)}
          onDate={(d) => (setDate(d), setError(null))}
          reload={reload}
        />
      )}
      {!date && <p class="hint">{t.my.pickDate}</p>}
      <Problem error={error} />
      <div class="actions">
        <button type="button" class="big" data-testid="confirm" disabled={busy || !date || !clinic} onClick={() => void submit()}>
          {t.my.submitChange}
        </button>
        <button type="button" class="secondary" onClick={props.onClose}>{t.my.closeChange}</button>
      </div>
      {busy && <p role="status">{t.my.changing}</p>}
    </div>
  );
}

/** Asks first; `now`: asked already (before the waiting room), so it cancels at once. */
function Cancel(props: { loaded: Loaded; needPass: boolean; now: boolean; onDone(l: Loaded): void; onClose(): void }) {
  const t = useT();
  const { r, c } = props.loaded;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (props.now && !props.needPass) void yes();
    else focusHeading('cancel-ask');
  }, []);
  const yes = async () => {
    if (props.needPass && c) return goToWaitingRoom(c.id, 'my:cancel');
    setBusy(true);
    setError(null);
    try {
      await api.cancel(r.bookingNumber, writeHeaders(c));
      props.onDone(await loadReservation(r.bookingNumber));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="panel" role="group" aria-labelledby="cancel-ask">
      <p id="cancel-ask" tabIndex={-1} class="strong">{t.my.cancelAsk}</p>
      <Problem error={error} />
      <div class="actions">
        <button type="button" class="danger" data-testid="cancel-confirm" disabled={busy} onClick={() => void yes()}>{t.my.cancelYes}</button>
        <button type="button" class="secondary" onClick={props.onClose}>{t.my.cancelNo}</button>
      </div>
      {busy && <p role="status">{t.my.cancelling}</p>}
    </div>
  );
}
