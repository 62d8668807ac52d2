/**
 * One clinic's page: its header (name, address, phone), the campaign, then the day's list, the
 * leftover doses and the capacity. Today is Korea's day by the server's clock (GET /campaigns
 * carries its `now`), so a tablet set to another zone or a wrong time still shows the right day.
 */
import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { nowMs, syncTo } from '../shared/clock.ts';
import { lang } from '../shared/ui.tsx';
import { api, type CampaignSummary, type Clinic } from './api.ts';
import { Capacity } from './capacity.tsx';
import { Leftovers } from './leftovers.tsx';
import { chooseClinic, guarded, session } from './session.ts';
import { DayList } from './today.tsx';
import { common, errorText, koreaDay, t } from './words.ts';

/** The campaign a clinic works on today: one whose shot days hold today, else the first. */
function currentCampaign(campaigns: CampaignSummary[], today: string): CampaignSummary | undefined {
  return campaigns.find((c) => c.firstShotDay <= today && today <= c.lastShotDay) ?? campaigns[0];
}

export function Portal(props: { clinicId: string }) {
  const w = t();
  const clinic = useSignal<Clinic | null>(null);
  const campaigns = useSignal<CampaignSummary[]>([]);
  const campaignId = useSignal<string | null>(null);
  const today = useSignal<string | null>(null);
  const error = useSignal<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    Promise.all([guarded(() => api.clinic(props.clinicId)), api.campaigns()]).then(
      ([c, list]) => {
        if (list[0]) syncTo(list[0].now);
        const day = koreaDay(nowMs());
        clinic.value = c;
        campaigns.value = list;
        campaignId.value = currentCampaign(list, day)?.id ?? null;
        today.value = day;
      },
      (e: unknown) => (error.value = errorText(e)),
    );
  }, [props.clinicId]);

  useEffect(() => {
    // After sign-in the button that had focus is gone: start reading at the clinic's name.
    if (clinic.value && (document.activeElement === document.body || document.activeElement === null)) heading.current?.focus();
  }, [clinic.value]);

  const operator = session.value?.role === 'operator';
  if (error.value) {
    return (
      <>
        <h1>{w.title}</h1>
        <p class="error" role="alert">{error.value}</p>
        {operator && <p><button type="button" class="secondary" onClick={() => chooseClinic(null)}>{w.pickClinic.change}</button></p>}
      </>
    );
  }
  const c = clinic.value;
  if (!c || !today.value) return <p role="status">{common().loading}</p>;
  return (
    <>
      <header class="clinic-head">
        <p class="eyebrow">{w.title}</p>
        <h1 ref={heading} tabIndex={-1}>{c.name}</h1>
        <dl class="facts">
          <dt>{w.header.address}</dt><dd>{c.address}</dd>
          <dt>{w.header.phone}</dt><dd><a href={`tel:${c.phone}`}>{c.phone}</a></dd>
          <dt>{w.header.id}</dt><dd>{c.id}</dd>
        </dl>
        {operator && <p><button type="button" class="secondary" onClick={() => chooseClinic(null)}>{w.pickClinic.change}</button></p>}
      </header>
      <CampaignChoice campaigns={campaigns.value} value={campaignId.value} onChange={(id) => (campaignId.value = id)} />
      <nav aria-label={w.nav.label} class="jump">
        <a href="#today">{w.nav.today}</a>
        <a href="#leftovers">{w.nav.leftovers}</a>
        <a href="#capacity">{w.nav.capacity}</a>
      </nav>
      <DayList clinicId={c.id} today={today.value} />
      {campaignId.value && <Leftovers clinicId={c.id} campaignId={campaignId.value} today={today.value} />}
      {campaignId.value && <Capacity key={campaignId.value} clinicId={c.id} campaignId={campaignId.value} today={today.value} />}
    </>
  );
}

function CampaignChoice(props: { campaigns: CampaignSummary[]; value: string | null; onChange: (id: string) => void }) {
  const w = t();
  const name = (c: CampaignSummary) => c.name[lang.value] || c.id;
  if (props.campaigns.length <= 1) {
    const only = props.campaigns[0];
    return only ? <p class="campaign"><span class="muted">{w.campaignLabel}: </span>{name(only)}</p> : null;
  }
  return (
    <p class="campaign">
      <label for="campaign">{w.campaignLabel}</label>
      <select id="campaign" value={props.value ?? ''} onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}>
        {props.campaigns.map((c) => <option key={c.id} value={c.id}>{name(c)}</option>)}
      </select>
    </p>
  );
}

/** An operator opens a clinic by its number. */
export function PickClinic() {
  const w = t().pickClinic;
  const value = useSignal('');
  return (
    <section aria-labelledby="pick-heading">
      <h1 id="pick-heading">{w.heading}</h1>
      <p>{w.intro}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const id = value.value.trim();
          if (id) chooseClinic(id);
        }}
      >
        <label for="clinic-id">{w.label}</label>
        <input id="clinic-id" data-testid="clinic-id" value={value.value} onInput={(e) => (value.value = e.currentTarget.value)} autocomplete="off" autocapitalize="characters" pattern="[A-Za-z0-9_-]{1,64}" required />
        <p><button type="submit" data-testid="clinic-open">{w.submit}</button></p>
      </form>
    </section>
  );
}
