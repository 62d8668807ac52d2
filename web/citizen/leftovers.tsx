/**
 * Leftover doses (`#/leftovers`): pick a region → today's leftovers near it (its 시/군/구 first) →
 * take one after verification, told at once when they are gone; star up to 5 favourite clinics
 * for an alert when one releases doses. Korean first; every string from web/i18n/{ko,en}/leftovers.ts.
 */
import { useEffect, useState } from 'preact/hooks';
import { call } from '../shared/http.ts';
import { lang, pick } from '../shared/ui.tsx';
import { leftovers as ko } from '../i18n/ko/leftovers.ts';
import { leftovers as en } from '../i18n/en/leftovers.ts';
import { api, type Region } from './api.ts';
import { day, instant } from './format.ts';
import { codeOf, Facts, Loading, Problem, Title, vaccineName } from './parts.tsx';
import { hasSession, loadCampaigns } from './state.ts';
import { needsSession, toVerify } from './eligibility.tsx';

const useL = () => pick({ ko, en });
const HERE = '#/leftovers';
const REGION_KEY = 'yeyak.leftovers.region';

interface Leftover { releaseId: number; campaignId: string; clinicId: string; clinicName: string; vaccineId: string; dosesLeft: number; until: string; nearby: boolean }
interface Favourites { clinics: { id: string; name: string }[]; max: number }
interface Taken { bookingNumber: string; doses: { dose: number; date: string; clinicId: string }[]; replacedBookingNumber: string | null; vaccine: string }

const leftoverApi = {
  list: (region: string) => call<Leftover[]>(`leftovers?region=${encodeURIComponent(region)}`),
  favourites: () => call<Favourites>('me/favourite-clinics'),
  star: (clinicId: string, on: boolean) => call<Favourites>(`me/favourite-clinics/${encodeURIComponent(clinicId)}`, { method: on ? 'PUT' : 'DELETE' }),
  take: (releaseId: number) => call<Taken>(`leftovers/${releaseId}/reservations`, { method: 'POST', headers: { 'idempotency-key': attemptKey(releaseId) } }),
};

/** One take attempt per release keeps its key across retries (a lost answer): the server answers the same booking. */
function attemptKey(releaseId: number): string {
  const store = `yeyak.leftover.${releaseId}`;
  try {
    const kept = sessionStorage.getItem(store);
    if (kept) return kept;
    const key = `leftover-${crypto.getRandomValues(new Uint32Array(4)).join('-')}`;
    sessionStorage.setItem(store, key);
    return key;
  } catch {
    return `leftover-${releaseId}-${crypto.getRandomValues(new Uint32Array(2)).join('-')}`;
  }
}

function savedRegion(): string {
  try {
    return localStorage.getItem(REGION_KEY) ?? '';
  } catch {
    return '';
  }
}

export function Leftovers() {
  const l = useL();
  const [regions, setRegions] = useState<Region[] | null>(null);
  const [region, setRegion] = useState(savedRegion());
  const [rows, setRows] = useState<Leftover[] | null>(null);
  const [favs, setFavs] = useState<Favourites | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [taken, setTaken] = useState<{ booking: Taken; row: Leftover } | null>(null);

  useEffect(() => {
    void loadCampaigns().then(async (list) => setRegions(list?.[0] ? await api.regions(list[0].id).catch(() => []) : []));
    if (hasSession()) leftoverApi.favourites().then(setFavs, () => setFavs(null));
  }, []);
  const reload = async (code = region) => {
    if (!code) return;
    try {
      setRows(await leftoverApi.list(code));
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => void reload(), [region]);

  const pickRegion = (code: string) => {
    setRegion(code);
    setRows(null);
    try {
      localStorage.setItem(REGION_KEY, code);
    } catch {
      // private mode: the choice lasts for this visit
    }
  };
  const take = async (row: Leftover) => {
    if (!hasSession()) return toVerify(HERE);
    setBusy(row.releaseId);
    setError(null);
    try {
      setTaken({ booking: await leftoverApi.take(row.releaseId), row });
    } catch (e) {
      if (needsSession(e)) return toVerify(HERE);
      setError(e);
      if (codeOf(e) === 'YEYAK_E_LEFTOVER_GONE') void reload();
    } finally {
      setBusy(null);
    }
  };
  const star = async (clinicId: string, on: boolean) => {
    if (!hasSession()) return toVerify(HERE);
    setError(null);
    try {
      setFavs(await leftoverApi.star(clinicId, on));
    } catch (e) {
      if (needsSession(e)) return toVerify(HERE);
      setError(e);
    }
  };

  if (taken) return <Done booking={taken.booking} row={taken.row} />;
  const starred = new Set(favs?.clinics.map((c) => c.id) ?? []);
  return (
    <>
      <Title>{l.title}</Title>
      <p>{l.intro}</p>
      <p class="muted">{l.replaceNote}</p>
      {regions === null ? <Loading /> : <RegionPicker regions={regions} value={region} onPick={pickRegion} />}
      {error !== null && (
        <Problem error={error}>
          <p>{l.unchanged}</p>
        </Problem>
      )}
      {region && (
        <section aria-labelledby="leftover-list">
          <h2 id="leftover-list">{l.listTitle}</h2>
          <button type="button" onClick={() => void reload()}>{l.refresh}</button>
          {rows === null ? <Loading /> : rows.length === 0 ? <p role="status" data-testid="leftover-none">{l.none}</p> : (
            <ul class="leftovers" aria-live="polite">
              {rows.map((r) => (
                <li key={r.releaseId}>
                  <p>
                    <strong>{r.clinicName}</strong> {r.nearby && <span class="badge">{l.nearby}</span>}
                  </p>
                  <p>{vaccineName(r.vaccineId)} · {l.left(r.dosesLeft)} · {l.until(instant(r.until))}</p>
                  <button type="button" class="big" data-testid={`take-${r.releaseId}`} disabled={busy !== null} onClick={() => void take(r)}>
                    {busy === r.releaseId ? l.taking : hasSession() ? l.take : l.verifyToTake}
                  </button>
                  <button type="button" data-testid={`star-${r.clinicId}`} aria-pressed={starred.has(r.clinicId)} aria-label={starred.has(r.clinicId) ? l.unstar : l.star} onClick={() => void star(r.clinicId, !starred.has(r.clinicId))}>
                    {starred.has(r.clinicId) ? '★' : '☆'}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      <FavouriteList favs={favs} onRemove={(id) => void star(id, false)} />
    </>
  );
}

function RegionPicker(props: { regions: Region[]; value: string; onPick: (code: string) => void }) {
  const l = useL();
  const name = (r: Region) => (lang.value === 'ko' ? r.nameKo : r.nameEn);
  const sido = props.value.slice(0, 2);
  const sidos = props.regions.filter((r) => r.level === 1);
  const districts = props.regions.filter((r) => r.level === 2 && r.parentCode === sido);
  return (
    <section aria-labelledby="leftover-region">
      <h2 id="leftover-region">{l.regionTitle}</h2>
      <label>
        {l.sido}{' '}
        <select data-testid="leftover-sido" value={sido} onChange={(e) => props.onPick((e.target as HTMLSelectElement).value)}>
          <option value="">{l.choose}</option>
          {sidos.map((r) => <option key={r.code} value={r.code}>{name(r)}</option>)}
        </select>
      </label>
      {sido && (
        <label>
          {l.sigungu}{' '}
          <select data-testid="leftover-sigungu" value={props.value.length === 5 ? props.value : sido} onChange={(e) => props.onPick((e.target as HTMLSelectElement).value)}>
            <option value={sido}>{l.sigunguAll}</option>
            {districts.map((r) => <option key={r.code} value={r.code}>{name(r)}</option>)}
          </select>
        </label>
      )}
    </section>
  );
}

function FavouriteList(props: { favs: Favourites | null; onRemove: (clinicId: string) => void }) {
  const l = useL();
  if (!hasSession()) {
    return (
      <section aria-labelledby="leftover-favs">
        <h2 id="leftover-favs">{l.favouritesTitle(0, 5)}</h2>
        <p>{l.verifyForFavourites}</p>
        <button type="button" onClick={() => toVerify(HERE)}>{l.verify}</button>
      </section>
    );
  }
  const { favs } = props;
  return (
    <section aria-labelledby="leftover-favs">
      <h2 id="leftover-favs">{l.favouritesTitle(favs?.clinics.length ?? 0, favs?.max ?? 5)}</h2>
      <p class="muted">{l.favouritesHint}</p>
      {!favs || favs.clinics.length === 0 ? <p>{l.favouritesNone}</p> : (
        <ul>
          {favs.clinics.map((c) => (
            <li key={c.id}>
              {c.name}{' '}
              <button type="button" aria-label={`${l.unstar}: ${c.name}`} onClick={() => props.onRemove(c.id)}>★</button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Done(props: { booking: Taken; row: Leftover }) {
  const l = useL();
  const { booking, row } = props;
  const dose2 = booking.doses.find((d) => d.dose === 2);
  return (
    <>
      <Title>{l.doneTitle}</Title>
      <div data-testid="leftover-done">
        <Facts
          rows={[
            [l.bookingNumber, booking.bookingNumber, true],
            [l.clinic, row.clinicName],
            [l.dose1, `${vaccineName(booking.vaccine)} · ${l.until(instant(row.until))}`, true],
            [l.dose2, dose2 ? day(dose2.date, true) : null],
          ]}
        />
      </div>
      <p class="notice">{l.goNow}</p>
      {booking.replacedBookingNumber && <p>{l.replaced(booking.replacedBookingNumber)}</p>}
      <p><a href="#/my">{l.mine}</a></p>
    </>
  );
}
