/**
 * Choosing where and when: 시/도 → 시/군/구 (with what is left in each) → the clinics there with
 * their remaining counts and a search box → the clinic's dates with what is left and the dose-2
 * day each brings. Used by booking and by a change on "My booking".
 */
import { useEffect, useState } from 'preact/hooks';
import { lang } from '../shared/ui.tsx';
import { api, type Clinic, type DateLeft, type Region } from './api.ts';
import { count, day } from './format.ts';
import { Loading, Problem, useT } from './parts.tsx';

const CLINICS_SHOWN = 30;

const regionName = (r: Region) => (lang.value === 'ko' ? r.nameKo : r.nameEn);
const squash = (s: string) => s.replace(/\s+/g, '').toLowerCase();

/** The last region chosen, for this tab: coming back to pick again starts there. */
const REGION_KEY = 'yeyak.region';
function remembered(): { sido: string; sigungu: string } {
  try {
    const [sido = '', sigungu = ''] = (sessionStorage.getItem(REGION_KEY) ?? '').split('|');
    return { sido, sigungu };
  } catch {
    return { sido: '', sigungu: '' };
  }
}
function remember(sido: string, sigungu: string): void {
  try {
    sessionStorage.setItem(REGION_KEY, `${sido}|${sigungu}`);
  } catch {
    // private mode
  }
}

/** Where: collapses to the chosen clinic (with a way back to the list) once one is chosen. */
export function RegionAndClinic(props: { campaignId: string; chosen: Clinic | null; onClinic(c: Clinic): void; onReopen(): void; reload?: number }) {
  const t = useT();
  const [regions, setRegions] = useState<Region[] | null>(null);
  const [sido, setSido] = useState(remembered().sido);
  const [sigungu, setSigungu] = useState(remembered().sigungu);
  const [clinics, setClinics] = useState<Clinic[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [query, setQuery] = useState('');
  const [shown, setShown] = useState(CLINICS_SHOWN);

  useEffect(() => {
    api.regions(props.campaignId).then(setRegions, setError);
  }, [props.campaignId, props.reload]);

  const region = sigungu || sido;
  useEffect(() => {
    setClinics(null);
    setShown(CLINICS_SHOWN);
    if (!region) return;
    let live = true;
    api.clinics(props.campaignId, region).then(
      (list) => live && setClinics(list),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [props.campaignId, region, props.reload]);

  const sidos = regions?.filter((r) => r.level === 1) ?? [];
  const districts = regions?.filter((r) => r.level === 2 && r.parentCode === sido) ?? [];
  const option = (r: Region) => (
    <option key={r.code} value={r.code}>
      {r.remaining > 0 ? t.book.regionLeft(regionName(r), count(r.remaining)) : t.book.regionFull(regionName(r))}
    </option>
  );
  const q = squash(query);
  const matching = (clinics ?? [])
    .filter((c) => !q || squash(c.name).includes(q) || squash(c.address ?? '').includes(q))
    .sort((a, b) => Number(b.remaining > 0) - Number(a.remaining > 0));

  if (props.chosen) {
    return (
      <section aria-labelledby="where">
        <h2 id="where">{t.book.clinic}</h2>
        <Chosen main={props.chosen.name} sub={props.chosen.address} again={t.book.otherClinic} onAgain={props.onReopen} />
      </section>
    );
  }
  return (
    <section aria-labelledby="where">
      <h2 id="where">{t.book.regionLegend}</h2>
      <Problem error={error} />
      {!regions && !error && <Loading />}
      <div class="selects">
        <div>
          <label for="sido">{t.book.sido}</label>
          <select
            id="sido"
            data-testid="sido"
            value={sido}
            onChange={(e) => {
              setSido(e.currentTarget.value);
              setSigungu('');
              remember(e.currentTarget.value, '');
            }}
          >
            <option value="">{t.book.choose}</option>
            {sidos.map(option)}
          </select>
        </div>
        <div>
          <label for="sigungu">{t.book.sigungu}</label>
          <select
            id="sigungu"
            data-testid="sigungu"
            value={sigungu}
            disabled={!sido}
            onChange={(e) => {
              setSigungu(e.currentTarget.value);
              remember(sido, e.currentTarget.value);
            }}
          >
            <option value="">{t.book.allSigungu}</option>
            {districts.map(option)}
          </select>
        </div>
      </div>
      {region && (
        <>
          <h3 id="clinics">{t.book.clinicsTitle}</h3>
          <label for="clinic-search">{t.book.search}</label>
          <input id="clinic-search" data-testid="clinic-search" type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
          {!clinics ? (
            <Loading />
          ) : (
            <>
              <p class="muted" aria-live="polite">
                {t.book.clinicsFound(matching.length)} · {t.book.staleNote}
              </p>
              {matching.length === 0 && <p>{t.book.noClinics}</p>}
              <ul class="choices" aria-labelledby="clinics">
                {matching.slice(0, shown).map((c) => (
                  <li key={c.id}>
                    <ClinicButton c={c} onChoose={() => props.onClinic(c)} />
                  </li>
                ))}
              </ul>
              {matching.length > shown && (
                <button type="button" class="secondary" onClick={() => setShown(shown + CLINICS_SHOWN)}>
                  {t.book.more} ({matching.length - shown})
                </button>
              )}
            </>
          )}
        </>
      )}
    </section>
  );
}

export function ClinicButton(props: { c: Clinic; onChoose(): void; testid?: string }) {
  const t = useT();
  const { c } = props;
  const full = c.remaining <= 0;
  return (
    <button type="button" class="choice" data-testid={props.testid ?? `clinic-${c.id}`} disabled={full} onClick={props.onChoose}>
      <span class="choice-main">{c.name}</span>
      {c.address && <span class="choice-sub">{c.address}</span>}
      <span class={`left${full ? ' none' : ''}`}>{full ? t.book.full : t.book.left(count(c.remaining))}</span>
    </button>
  );
}

/** A choice made, with the way back to choose again. */
function Chosen(props: { main: string; sub?: string | undefined; again: string; onAgain(): void }) {
  return (
    <div class="chosen-box">
      <p class="choice-main">✓ {props.main}</p>
      {props.sub && <p class="choice-sub">{props.sub}</p>}
      <button type="button" class="secondary small" onClick={props.onAgain}>{props.again}</button>
    </div>
  );
}

/**
 * A clinic's dose-1 dates; `allow` hides dates the citizen may not pick (a change's freeze).
 * Collapses to the chosen date once one is chosen.
 */
export function Dates(props: { campaignId: string; clinic: Clinic; chosen: DateLeft | null; onDate(d: DateLeft): void; onReopen(): void; allow?: (d: DateLeft) => boolean; reload?: number }) {
  const t = useT();
  const [dates, setDates] = useState<DateLeft[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setDates(null);
    setError(null);
    let live = true;
    api.dates(props.campaignId, props.clinic.id).then(
      (d) => live && setDates(d),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [props.campaignId, props.clinic.id, props.reload]);
  const list = (dates ?? []).filter((d) => !props.allow || props.allow(d));
  const open = list.filter((d) => d.remaining > 0);
  if (props.chosen) {
    const d = props.chosen;
    return (
      <section aria-labelledby="dates" class="step">
        <h2 id="dates" tabIndex={-1}>{t.book.dose1}</h2>
        <Chosen main={day(d.date)} sub={d.dose2Date ? t.book.dose2With(day(d.dose2Date)) : undefined} again={t.book.repick} onAgain={props.onReopen} />
      </section>
    );
  }
  return (
    <section aria-labelledby="dates" class="step">
      <h2 id="dates" tabIndex={-1}>{t.book.datesTitle(props.clinic.name)}</h2>
      <Problem error={error} />
      {!dates && !error && <Loading />}
      {dates && open.length === 0 && <p>{t.book.noDates}</p>}
      <ul class="choices dates">
        {list.map((d) => {
          const full = d.remaining <= 0;
          return (
            <li key={d.date}>
              <button type="button" class="choice" data-testid={`date-${d.date}`} disabled={full} onClick={() => props.onDate(d)}>
                <span class="choice-main">{day(d.date)}</span>
                {d.dose2Date && <span class="choice-sub">{t.book.dose2With(day(d.dose2Date))}</span>}
                <span class={`left${full ? ' none' : ''}`}>{full ? t.book.full : t.book.dateLeft(count(d.remaining))}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
