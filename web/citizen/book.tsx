/**
 * Booking: where (시/도 → 시/군/구 → clinic) and when (a date with what is left), then confirm
 * with both dose dates (dose 2 as the server computes it: the dates answer carries it). One
 * attempt keeps one Idempotency-Key across retries. A full answer offers the clinic's next dates
 * and nearby clinics instead of a dead end. Where the waiting room is on, the write carries the
 * pass the waiting page left; no pass: off to the waiting room.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Campaign, type Clinic, type DateLeft } from './api.ts';
import { count, day } from './format.ts';
import { go } from './router.ts';
import { attemptKey, campaignOf, dropPass, endAttempt, goToWaitingRoom, hasSession, loadCampaigns, passOf, peekAfterWait, writeHeaders } from './state.ts';
import { codeOf, Facts, Loading, Problem, Refused, Title, useT, vaccineName } from './parts.tsx';
import { ClinicButton, Dates, RegionAndClinic } from './picker.tsx';
import { needsSession, toVerify } from './eligibility.tsx';
import { rememberReceipt } from './receipt.tsx';
import { useDose1Label } from './booster.tsx';

const FULL = new Set(['YEYAK_E_SLOT_FULL', 'YEYAK_E_DOSE2_FULL', 'YEYAK_E_DATE_NOT_OFFERED']);
/** Answers after which the same attempt may be sent again (same key: never a second booking). */
const RETRY = new Set(['YEYAK_E_BUSY', 'YEYAK_E_RATE_LIMITED', 'YEYAK_E_INTERNAL', 'YEYAK_E_PASS_IN_USE', 'YEYAK_E_REQUEST_TIMEOUT', 'YEYAK_E_CSRF_TOKEN_INVALID']);
/** Answers that settle the attempt: a new choice is a new key. */
const SETTLED = new Set([...FULL, 'YEYAK_E_RESERVATION_CANCELLED', 'YEYAK_E_IDEMPOTENCY_MISMATCH', 'YEYAK_E_CLINIC_NOT_FOUND', 'YEYAK_E_SUPPLY_EXHAUSTED']);
const PASS = /^YEYAK_E_(PASS|TICKET)_/;
const ALTERNATIVES = 3;

export function focusHeading(id: string): void {
  requestAnimationFrame(() => document.getElementById(id)?.focus());
}

export function Book(props: { campaignId: string }) {
  const t = useT();
  const [c, setC] = useState<Campaign | undefined>(campaignOf(props.campaignId));
  const [missing, setMissing] = useState(false);
  useEffect(() => {
    // The waiting page lands here; a change or cancel sent there comes back to "My booking".
    if (peekAfterWait()) return go('#/my', true);
    // No session: verify first, not after choosing everything.
    if (!hasSession()) return toVerify(`#/book/${props.campaignId}`, true);
    if (c) return;
    void loadCampaigns().then((list) => {
      const found = list?.find((x) => x.id === props.campaignId);
      setC(found);
      setMissing(!found);
    });
  }, [props.campaignId]);
  const back = peekAfterWait() !== null;
  const needPass = !!c && c.waitingRoom.enabled && passOf(c.id) === null;
  useEffect(() => {
    if (c && needPass && !back && hasSession()) goToWaitingRoom(c.id, undefined, true);
  }, [c, needPass]);
  if (back) return <Loading />;
  if (!c) return missing ? <Refused code="YEYAK_E_CAMPAIGN_NOT_FOUND" /> : <Loading />;
  if (needPass) {
    return (
      <>
        <Title>{t.book.title}</Title>
        <p role="status">{t.book.waitFirst}</p>
        <button type="button" onClick={() => goToWaitingRoom(c.id)}>{t.book.toWait}</button>
      </>
    );
  }
  return <BookFlow c={c} />;
}

function BookFlow(props: { c: Campaign }) {
  const { c } = props;
  const t = useT();
  const [clinic, setClinic] = useState<Clinic | null>(null);
  const [date, setDate] = useState<DateLeft | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [reload, setReload] = useState(0);
  /** The date of the last attempt: a full answer reopens the dates, and the error still names it. */
  const [tried, setTried] = useState<DateLeft | null>(null);

  // A full answer goes above the dates (they open again, fresh); any other next to the button.
  const full = FULL.has(codeOf(error) ?? '');

  const pickClinic = (cl: Clinic) => {
    setClinic(cl);
    setDate(null);
    setError(null);
    focusHeading('dates');
  };
  const pickDate = (d: DateLeft) => {
    setDate(d);
    setError(null);
    focusHeading('confirm-title');
  };

  const submit = async () => {
    if (!clinic || !date) return;
    setBusy(true);
    setError(null);
    setTried(date);
    const key = attemptKey(c.id, clinic.id, date.date);
    try {
      const r = await api.book({ campaignId: c.id, clinicId: clinic.id, date: date.date }, { 'idempotency-key': key, ...writeHeaders(c) });
      endAttempt(c.id);
      dropPass(c.id);
      rememberReceipt(r, clinic);
      go(`#/receipt/${r.bookingNumber}`);
    } catch (e) {
      const code = codeOf(e) ?? '';
      if (needsSession(e)) return toVerify(`#/book/${c.id}`);
      if (SETTLED.has(code)) endAttempt(c.id);
      if (PASS.test(code)) dropPass(c.id);
      if (FULL.has(code)) {
        setDate(null);
        setReload(reload + 1);
      }
      setError(e);
      focusHeading('book-error');
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Title>{t.book.title}</Title>
      <RegionAndClinic campaignId={c.id} chosen={clinic} onClinic={pickClinic} onReopen={() => (setClinic(null), setDate(null), setError(null))} reload={reload} />
      {full && clinic && tried && <BookError c={c} clinic={clinic} date={tried} error={error} onRetry={() => void submit()} onClinic={pickClinic} onDate={pickDate} />}
      {clinic && <Dates campaignId={c.id} clinic={clinic} chosen={date} onDate={pickDate} onReopen={() => (setDate(null), setError(null))} reload={reload} />}
      {clinic && date && (
        <section class="step confirm" aria-labelledby="confirm-title">
          <h2 id="confirm-title" tabIndex={-1}>{t.book.confirmTitle}</h2>
          <Summary c={c} clinic={clinic} date={date} />
          <button type="button" class="big" data-testid="confirm" disabled={busy} onClick={() => void submit()}>
            {t.book.confirm}
          </button>
          {busy && <p role="status">{t.book.booking}</p>}
        </section>
      )}
      {error !== null && !full && clinic && tried && <BookError c={c} clinic={clinic} date={tried} error={error} onRetry={() => void submit()} onClinic={pickClinic} onDate={pickDate} />}
    </>
  );
}

/** What is about to be booked: clinic, address, both dose dates (dose 2 as the server computes it), the vaccine. */
function Summary(props: { c: Campaign; clinic: Clinic; date: DateLeft }) {
  const t = useT();
  const { c, clinic, date } = props;
  const dose2 = c.doses === 2 ? (date.dose2Date ? day(date.dose2Date, true) : t.book.dose2Rule(c.dose2IntervalDays ?? 0)) : null;
  const dose1 = useDose1Label(c, t.book.dose1);
  return (
    <Facts
      rows={[
        [t.book.clinic, clinic.name],
        [t.book.address, clinic.address],
        [dose1, day(date.date, true), true],
        [t.book.dose2, dose2, true],
        [t.book.vaccine, date.vaccine && vaccineName(date.vaccine)],
      ]}
    />
  );
}

/** A refused booking in plain words, with the way on: other dates and clinics, retry, the line, verify. */
function BookError(props: { c: Campaign; clinic: Clinic; date: DateLeft; error: unknown; onRetry(): void; onClinic(c: Clinic): void; onDate(d: DateLeft): void }) {
  const t = useT();
  const code = codeOf(props.error) ?? '';
  const network = codeOf(props.error) === null;
  return (
    <section class="step" aria-labelledby="book-error">
      <h2 id="book-error" tabIndex={-1} class="sr-only">{FULL.has(code) ? t.book.fullTitle : t.book.confirmTitle}</h2>
      <Problem error={props.error}>
        {(network || RETRY.has(code)) && (
          <>
            <button type="button" onClick={props.onRetry}>{t.book.retry}</button>
            <p class="hint">{t.book.retryNote}</p>
          </>
        )}
        {PASS.test(code) && <button type="button" onClick={() => goToWaitingRoom(props.c.id)}>{t.book.toWait}</button>}
        {code === 'YEYAK_E_DEVICE_MISMATCH' && <button type="button" onClick={() => toVerify(`#/book/${props.c.id}`)}>{t.book.verifyAgain}</button>}
        {code === 'YEYAK_E_ALREADY_BOOKED' && <a class="button" href="#/my">{t.book.seeMy}</a>}
        {(code === 'YEYAK_E_WINDOW_CLOSED' || code === 'YEYAK_E_NOT_ELIGIBLE') && <a class="button" href={`#/eligibility/${props.c.id}`}>{t.elig.title}</a>}
      </Problem>
      {FULL.has(code) && <Alternatives {...props} />}
    </section>
  );
}

/** Up to three other clinics with room: the same 시/군/구 first, then the 시/도. */
async function nearby(campaignId: string, clinic: Clinic): Promise<Clinic[]> {
  const pick = (list: Clinic[], not: Set<string>) => list.filter((x) => x.remaining > 0 && !not.has(x.id)).sort((a, b) => b.remaining - a.remaining);
  const seen = new Set([clinic.id]);
  const out = clinic.district ? pick(await api.clinics(campaignId, clinic.district), seen).slice(0, ALTERNATIVES) : [];
  for (const x of out) seen.add(x.id);
  if (out.length < ALTERNATIVES) out.push(...pick(await api.clinics(campaignId, clinic.region), seen).slice(0, ALTERNATIVES - out.length));
  return out;
}

/** After a full answer: the same clinic's next dates with room, and clinics nearby with room (fresh reads). */
function Alternatives(props: { c: Campaign; clinic: Clinic; date: DateLeft; onClinic(c: Clinic): void; onDate(d: DateLeft): void }) {
  const t = useT();
  const [dates, setDates] = useState<DateLeft[] | null>(null);
  const [clinics, setClinics] = useState<Clinic[] | null>(null);
  const { c, clinic, date } = props;
  useEffect(() => {
    api.dates(c.id, clinic.id).then((d) => setDates(d.filter((x) => x.remaining > 0 && x.date !== date.date).slice(0, ALTERNATIVES)), () => setDates([]));
    void nearby(c.id, clinic).then(setClinics, () => setClinics([]));
  }, [clinic.id, date.date]);
  if (!dates || !clinics) return <Loading />;
  return (
    <div class="alternatives">
      {dates.length > 0 && (
        <>
          <h3>{t.book.otherDates}</h3>
          <ul class="choices">
            {dates.map((d) => (
              <li key={d.date}>
                <button type="button" class="choice" data-testid={`alt-date-${d.date}`} onClick={() => props.onDate(d)}>
                  <span class="choice-main">{day(d.date)}</span>
                  <span class="left">{t.book.dateLeft(count(d.remaining))}</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {clinics.length > 0 && (
        <>
          <h3>{t.book.otherClinics}</h3>
          <ul class="choices">
            {clinics.map((x) => (
              <li key={x.id}>
                <ClinicButton c={x} testid={`alt-clinic-${x.id}`} onChoose={() => props.onClinic(x)} />
              </li>
            ))}
          </ul>
        </>
      )}
      {dates.length === 0 && clinics.length === 0 && <p>{t.book.noAlternatives}</p>}
    </div>
  );
}
