/**
 * Landing: today's open window in large type in its own words, who is eligible, what to have
 * ready and the start button; with no window open, when the next one opens (Korea time).
 */
import { useEffect } from 'preact/hooks';
import { lang, pick } from '../shared/ui.tsx';
import { leftovers as leftoversKo } from '../i18n/ko/leftovers.ts';
import { leftovers as leftoversEn } from '../i18n/en/leftovers.ts';
import { nowMs } from '../shared/clock.ts';
import type { Campaign, WindowView } from './api.ts';
import { birthDay, count, instant } from './format.ts';
import { go } from './router.ts';
import { campaigns, campaignsError, chooseCampaign, hasSession, loadCampaigns } from './state.ts';
import { Loading, Problem, Title, useCommon, useT } from './parts.tsx';
import { daysOf, fullWindow, isShort, kindOf, whoOf } from './windows.ts';
import { BoosterCohort } from './booster.tsx';
import { supply as supplyKo } from '../i18n/ko/supply.ts';
import { supply as supplyEn } from '../i18n/en/supply.ts';

const REFRESH_MS = 60_000;
const DAY_MS = 86_400_000;

export function Landing() {
  const list = campaigns.value;
  useEffect(() => {
    void loadCampaigns();
    const timer = setInterval(() => void loadCampaigns(), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  // Reload at the next opening, so the page turns to "open" by itself at 20:00:00.
  const next = list?.flatMap((c) => c.windows).map((w) => Date.parse(w.opensAt) - nowMs()).filter((ms) => ms > 0 && ms < DAY_MS).sort((a, b) => a - b)[0];
  useEffect(() => {
    if (next === undefined) return;
    const timer = setTimeout(() => void loadCampaigns(), next + 500);
    return () => clearTimeout(timer);
  }, [next]);

  const t = useT();
  if (list === null) {
    return campaignsError.value ? (
      <Problem error={campaignsError.value}>
        <button type="button" onClick={() => void loadCampaigns()}>{useCommon().retry}</button>
      </Problem>
    ) : (
      <Loading />
    );
  }
  if (list.length === 0) {
    return (
      <>
        <Title>{useCommon().appName}</Title>
        <p>{t.landing.noCampaign}</p>
      </>
    );
  }
  return (
    <>
      {list.length > 1 && <Title>{useCommon().appName}</Title>}
      {list.map((c, i) => (
        <CampaignCard key={c.id} c={c} first={i === 0} single={list.length === 1} />
      ))}
    </>
  );
}

/** Sold out (issue #11): what the server says, under the page's own heading; no start button meanwhile. */
function SoldOut(props: { c: Campaign }) {
  const s = lang.value === 'en' ? supplyEn : supplyKo;
  const notice = props.c.supplyNotice?.[lang.value];
  return (
    <div class="notice" role="status" data-testid="sold-out">
      <strong>{s.soldOutTitle}</strong>
      <p>{notice || s.landing}</p>
    </div>
  );
}

function CampaignCard(props: { c: Campaign; first: boolean; single: boolean }) {
  const { c } = props;
  const t = useT();
  const name = c.name[lang.value];
  const now = nowMs();
  const ended = c.openWindows.length === 0 && !c.windows.some((w) => Date.parse(w.opensAt) > now);
  const start = () => {
    chooseCampaign(c.id);
    go(hasSession() ? `#/eligibility/${c.id}` : '#/verify');
  };
  return (
    <section class="campaign" aria-labelledby={`c-${c.id}`}>
      {props.single ? <Title><span id={`c-${c.id}`}>{name}</span></Title> : <h2 id={`c-${c.id}`}>{name}</h2>}
      {c.notice && <p class="notice">{c.notice[lang.value]}</p>}
      <Today c={c} />
      <h2>{t.landing.eligibleTitle}</h2>
      {c.cohort ? <BoosterCohort c={c} /> : <p>{c.birthFrom && c.birthTo ? t.landing.eligibleBirth(birthDay(c.birthFrom), birthDay(c.birthTo)) : t.landing.eligibleAny}</p>}
      {c.doses === 2 && c.dose2IntervalDays !== null && <p>{t.landing.dose2(c.dose2IntervalDays)}</p>}
      {c.supplyState === 'sold_out' ? <SoldOut c={c} /> : c.supplyExhausted ? <p class="notice">{t.landing.exhausted}</p> : <p aria-live="polite">{t.landing.remaining(count(c.remainingFirstDoses))}</p>}
      {!ended && c.supplyState !== 'sold_out' && (
        <>
          <h2>{t.landing.readyTitle}</h2>
          <ul class="checklist">
            {t.landing.ready.map((item) => <li key={item}>{item}</li>)}
          </ul>
          <p class="muted">{t.landing.startHint}</p>
          <button type="button" class="big" data-testid={props.first ? 'start' : `start-${c.id}`} onClick={start}>
            {t.landing.start}
          </button>
        </>
      )}
      <p><a href="#/my">{t.landing.my}</a></p>
      <p><a href="#/leftovers">{pick({ ko: leftoversKo, en: leftoversEn }).link}</a></p>
      <Schedule c={c} />
    </section>
  );
}

/** The headline: who may book now, or when the next window opens. */
function Today(props: { c: Campaign }) {
  const { c } = props;
  const t = useT();
  const tz = c.timeZone;
  if (c.openWindows.length > 0) {
    return (
      <div class="today" aria-live="polite">
        <h2 class="sr-only">{t.landing.todayTitle}</h2>
        {c.openWindows.map((ow) => {
          const w = fullWindow(c, ow);
          const kind = kindOf(c, w);
          const days = daysOf(w);
          const line = kind === 'all' ? t.landing.openAll : (isShort(w) ? t.landing.openToday : t.landing.openNow)(whoOf(c, w));
          return (
            <div key={w.seq}>
              <p class="headline">{line}</p>
              {days && <p class="sub">{t.landing.digitsDays(days)}</p>}
              {kind === 'catch-up' && <p class="sub">{t.landing.catchUpNote}</p>}
              <p class="sub">{t.landing.openUntil(instant(w.closesAt, tz))}</p>
            </div>
          );
        })}
        <p class="muted">{t.landing.timeNote}</p>
      </div>
    );
  }
  const now = nowMs();
  const next = c.windows.filter((w) => Date.parse(w.opensAt) > now).sort((a, b) => Date.parse(a.opensAt) - Date.parse(b.opensAt))[0];
  if (!next) {
    return (
      <div class="today">
        <h2 class="headline">{t.landing.ended}</h2>
      </div>
    );
  }
  return (
    <div class="today" aria-live="polite">
      <h2 class="headline">{t.landing.closedTitle}</h2>
      <p class="headline">{t.landing.nextOpens(instant(next.opensAt, tz))}</p>
      <p class="sub">{t.landing.nextWho(whoOf(c, next))}</p>
      <p class="muted">{t.landing.timeNote}</p>
    </div>
  );
}

function Schedule(props: { c: Campaign }) {
  const { c } = props;
  const t = useT();
  if (c.windows.length < 2) return null;
  return (
    <details class="schedule">
      <summary>{t.landing.scheduleTitle}</summary>
      <ul>
        {c.windows.map((w: WindowView) => (
          <li key={w.seq}>{t.landing.scheduleRow(w.label[lang.value], instant(w.opensAt, c.timeZone), instant(w.closesAt, c.timeZone))}</li>
        ))}
      </ul>
    </details>
  );
}
