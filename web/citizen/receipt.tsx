/**
 * The receipt: booking number, both dose dates, the clinic and its address, what to bring, and
 * the change and cancel windows. Straight after booking it shows what the booking answered;
 * opened later (a reload, a link) it reads the reservation with the session.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Campaign, type Clinic, type Reservation } from './api.ts';
import { addDays, day, daysBetween, today } from './format.ts';
import { campaignOf, loadCampaigns } from './state.ts';
import { Facts, Loading, Problem, Title, useT, vaccineName, type Fact } from './parts.tsx';
import { needsSession, toVerify } from './eligibility.tsx';
import { BoosterNote, useDose1Label } from './booster.tsx';

/** What the booking answered, kept for this page's life (never stored: a reload reads it again). */
const fresh = new Map<string, { r: Reservation; clinic: Clinic }>();
export function rememberReceipt(r: Reservation, clinic: Clinic): void {
  fresh.set(r.bookingNumber, { r, clinic });
}

export interface Loaded {
  r: Reservation;
  clinic: Clinic | null;
  c: Campaign | undefined;
}

/** The reservation, its campaign and its clinic (GET /reservations/{n}, GET …/clinics/{id}). */
export async function loadReservation(bookingNumber: string): Promise<Loaded> {
  const r = await api.reservation(bookingNumber);
  const campaignId = r.campaignId ?? '';
  const c = campaignOf(campaignId) ?? (await loadCampaigns())?.find((x) => x.id === campaignId);
  const clinicId = r.doses[0]?.clinicId;
  const clinic = clinicId ? await api.clinic(campaignId, clinicId).catch(() => null) : null;
  return { r, clinic, c };
}

export function Receipt(props: { bookingNumber: string }) {
  const t = useT();
  const cached = fresh.get(props.bookingNumber);
  const [data, setData] = useState<Loaded | null>(cached ? { ...cached, c: campaignOf(cached.r.campaignId ?? '') } : null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (data?.c) return;
    loadReservation(props.bookingNumber).then(setData, (e) => (needsSession(e) ? toVerify(`#/receipt/${props.bookingNumber}`, true) : setError(e)));
  }, [props.bookingNumber]);
  if (error) return <Problem error={error} />;
  if (!data) return <Loading text={t.receipt.loading} />;
  const cancelled = data.r.status === 'cancelled';
  return (
    <>
      <Title>{cancelled ? t.receipt.cancelledTitle : `✓ ${t.receipt.title}`}</Title>
      <BookingNumber n={data.r.bookingNumber} />
      <ReservationFacts {...data} />
      {!cancelled && data.c?.cohort && data.c.doses === 1 && <BoosterNote />}
      {!cancelled && (
        <>
          <h2>{t.receipt.bringTitle}</h2>
          <ul class="checklist">
            {t.receipt.bring.map((b) => <li key={b}>{b}</li>)}
          </ul>
          <p>{t.receipt.after}</p>
          {data.c && <Rules c={data.c} day1={data.r.doses.find((d) => d.dose === 1)?.date ?? ''} />}
        </>
      )}
      <p class="actions">
        <a class="button" href="#/my">{t.receipt.my}</a>
        <a class="button secondary" href="#/">{t.receipt.home}</a>
      </p>
    </>
  );
}

export function BookingNumber(props: { n: string }) {
  const t = useT();
  return (
    <div class="booking-number">
      <p class="label" id="bn-label">{t.receipt.number}</p>
      <p class="number" data-testid="booking-number" aria-labelledby="bn-label">{props.n}</p>
      <p class="hint">{t.receipt.numberHint}</p>
    </div>
  );
}

/** Both doses, the clinic and its address, the vaccine and the status. */
export function ReservationFacts(props: Loaded) {
  const t = useT();
  const { r, clinic } = props;
  const doses = [...r.doses].sort((a, b) => a.dose - b.dose);
  const dose1 = useDose1Label(props.c, t.book.dose1);
  // The masked RRN stays on one line: a non-breaking hyphen (U+2011) instead of '-'.
  const rrn = r.person?.rrnMasked ? ` (${r.person.rrnMasked.replace('-', '\u2011')})` : '';
  const person = r.person?.name ? `${r.person.name}${rrn}` : null;
  return (
    <Facts
      rows={[
        [t.receipt.statusLabel, r.status && t.receipt.status[r.status], true],
        [t.my.person, person],
        ...doses.map((d): Fact => [d.dose === 1 ? dose1 : t.book.dose2, day(d.date, true), true]),
        [t.book.clinic, clinic?.name ?? doses[0]?.clinicId],
        [t.book.address, clinic?.address],
        [t.book.vaccine, r.vaccine && vaccineName(r.vaccine)],
      ]}
    />
  );
}

/**
 * The change and cancel windows for a dose-1 day, as the database decides them
 * (change_reservation, cancel_reservation): change while day1 − today ≥ changeFreezeDays (a new
 * date too), cancel while day1 − today ≥ cancelUntilDays, both in the campaign's local days.
 */
export function windowsFor(c: Campaign, day1: string) {
  const left = daysBetween(today(c.timeZone), day1);
  return {
    lastChange: addDays(day1, -c.changeFreezeDays),
    lastCancel: addDays(day1, -c.cancelUntilDays),
    changeOpen: left >= c.changeFreezeDays,
    cancelOpen: left >= c.cancelUntilDays,
    /** The earliest new dose-1 date a change may pick. */
    firstNewDay: addDays(today(c.timeZone), c.changeFreezeDays),
  };
}

export function Rules(props: { c: Campaign; day1: string }) {
  const t = useT();
  if (!props.day1) return null;
  const w = windowsFor(props.c, props.day1);
  return (
    <section aria-labelledby="rules">
      <h2 id="rules">{t.receipt.rulesTitle}</h2>
      <ul>
        <li>{w.changeOpen ? t.rules.change(props.c.changeFreezeDays, day(w.lastChange)) : t.rules.changeClosed(day(w.lastChange))}</li>
        <li>{w.cancelOpen ? t.rules.cancel(props.c.cancelUntilDays, day(w.lastCancel)) : t.rules.cancelClosed(day(w.lastCancel))}</li>
      </ul>
    </section>
  );
}
