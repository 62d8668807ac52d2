/**
 * The opening, live: the key figures, five charts of the last ten minutes, the verification
 * lights, refusals by code and first doses left per 시/도. Figures change every second, so they
 * are not a live region themselves (a screen reader would never stop talking): a polite status
 * sums them up every ANNOUNCE_MS, and says at once when admission pauses or resumes or the feed
 * is lost.
 */
import { useSignal } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { nowMs } from '../shared/clock.ts';
import type { Snapshot } from './api.ts';
import { TimeChart } from './chart.tsx';
import type { Link, LiveFeed } from './live.ts';
import { Lights, Refusals, Regions } from './panels.tsx';
import { StateIcon } from './state-icon.tsx';
import { count, duration, koreaTime, rate, t } from './words.ts';

const ANNOUNCE_MS = 30_000;
/** No snapshot for this long: the figures are called stale. */
const STALE_MS = 5_000;
export const BLUE = '#0b4f9c';
export const ORANGE = '#b34700';

function useTicker(ms: number): number {
  const tick = useSignal(0);
  useEffect(() => {
    const timer = setInterval(() => tick.value++, ms);
    return () => clearInterval(timer);
  }, [ms]);
  return tick.value;
}

/** Seconds since the last snapshot arrived (null before the first), ticking every second. */
function useAge(feed: LiveFeed): number | null {
  useTicker(1_000);
  const received = feed.receivedMs.value;
  return received === null ? null : Math.max(0, Math.round((nowMs() - received) / 1000));
}

/** The link as the operator should read it: a stream that went quiet is as good as lost. */
function shownLink(feed: LiveFeed, ageS: number | null): Link {
  return ageS !== null && ageS * 1000 >= STALE_MS ? 'down' : feed.link.value;
}

function LinkState({ feed }: { feed: LiveFeed }) {
  const w = t().live;
  const ageS = useAge(feed);
  const link = shownLink(feed, ageS);
  const at = feed.latest.value?.at;
  return (
    <p class={`link ${link === 'down' ? 'link-bad' : ''}`} data-testid="link">
      <span aria-hidden="true">{link === 'down' ? '⚠ ' : '● '}</span>
      {w.links[link]}
      {at && <> · {w.updatedAt(koreaTime(at))}</>}
      {link === 'down' && ageS !== null && <> · <strong>{w.stale(ageS)}</strong></>}
    </p>
  );
}

function Figures({ s }: { s: Snapshot }) {
  const w = t().live;
  const q = s.queue;
  const errors = Object.values(s.bookings.errorsByCode).reduce((a, b) => a + b, 0);
  const item = (id: string, label: string, value: ComponentChildren, extra?: string) => (
    <div class="figure" data-testid={`figure-${id}`}>
      <dt>{label}</dt>
      <dd>
        <strong>{value}</strong>
        {extra && <span class="muted"> {extra}</span>}
      </dd>
    </div>
  );
  return (
    <dl class="figures">
      {item('state', w.admission, <><StateIcon paused={q.paused} /> {q.paused ? w.paused : w.running}</>)}
      {item('waiting', w.waiting, w.people(count(q.waiting)))}
      {item('rates', w.joinsAdmissions, `${rate(q.joinsPerS)} / ${rate(q.admissionsPerS)}`, w.rateSet(rate(q.ratePerS)))}
      {item('passes', w.activePasses, `${count(q.activePasses)} / ${count(q.activeMax)}`, q.activeMax > 0 ? `(${Math.round((q.activePasses * 100) / q.activeMax)}%)` : undefined)}
      {item('eta', w.etaShownActual, `${duration(s.eta.shownSeconds)} / ${duration(s.eta.actualSeconds)}`)}
      {item('bookings', w.bookingsErrors, `${rate(s.bookings.perS)} / ${rate(errors)}`)}
    </dl>
  );
}

/** What the polite status says every ANNOUNCE_MS. */
function summary(s: Snapshot): string {
  const w = t().live;
  const q = s.queue;
  return w.summary({
    state: q.paused ? w.paused : w.running,
    waiting: count(q.waiting),
    admissions: rate(q.admissionsPerS),
    passes: `${count(q.activePasses)} / ${count(q.activeMax)}`,
    bookings: rate(s.bookings.perS),
  });
}

function Announcer({ feed }: { feed: LiveFeed }) {
  const said = useSignal('');
  const w = t().live;
  const paused = feed.latest.value?.queue.paused;
  const link = shownLink(feed, useAge(feed));
  const lost = useRef(false);
  // State changes are said at once; the figures every ANNOUNCE_MS.
  useEffect(() => {
    if (paused !== undefined) said.value = paused ? w.announcePaused : w.announceRunning;
  }, [paused]);
  useEffect(() => {
    if (link === 'down') said.value = w.links.down;
    else if (lost.current) said.value = w.reconnected;
    lost.current = link === 'down';
  }, [link]);
  useEffect(() => {
    const timer = setInterval(() => {
      const s = feed.latest.value;
      if (s) said.value = summary(s);
    }, ANNOUNCE_MS);
    return () => clearInterval(timer);
  }, [feed]);
  return <p class="sr-only" role="status" aria-live="polite">{said.value}</p>;
}

function Charts({ feed }: { feed: LiveFeed }) {
  const w = t().live;
  const h = feed.history;
  const v = feed.version.value;
  const num = (f: (n: number) => string) => (x: number | null) => (x === null ? w.noData : f(x));
  const perS = num((x) => w.perS(rate(x)));
  const short = (x: number) => (x < 120 ? w.secondsShort(rate(x)) : w.minutesShort(rate(x / 60)));
  return (
    <div class="charts">
      <TimeChart id="chart-waiting" title={w.chartWaiting} x={h.t} version={v} tick={(x) => count(x)}
        lines={[{ label: w.waiting, values: h.waiting, color: BLUE, format: num((x) => w.people(count(x))) }]} />
      <TimeChart id="chart-rates" title={w.chartRates} x={h.t} version={v}
        lines={[
          { label: w.joins, values: h.joins, color: BLUE, format: perS },
          { label: w.admissions, values: h.admissions, color: ORANGE, dashed: true, format: perS },
        ]} />
      <TimeChart id="chart-eta" title={w.chartEta} x={h.t} version={v} tick={short}
        lines={[
          { label: w.etaShown, values: h.etaShown, color: BLUE, format: duration },
          { label: w.etaActual, values: h.etaActual, color: ORANGE, dashed: true, format: duration },
        ]} />
      <TimeChart id="chart-passes" title={w.chartPasses} x={h.t} version={v} tick={(x) => count(x)}
        lines={[
          { label: w.activePassesShort, values: h.active, color: BLUE, format: num(count) },
          { label: w.activeMax, values: h.activeMax, color: ORANGE, dashed: true, format: num(count) },
        ]} />
      <TimeChart id="chart-bookings" title={w.chartBookings} x={h.t} version={v}
        lines={[
          { label: w.bookings, values: h.bookings, color: BLUE, format: perS },
          { label: w.refusals, values: h.errors, color: ORANGE, dashed: true, format: perS },
        ]} />
    </div>
  );
}

export function Dashboard({ feed }: { feed: LiveFeed }) {
  const w = t().live;
  const s = feed.latest.value;
  return (
    <section aria-labelledby="live-heading" class="live">
      <h2 id="live-heading">{w.heading}</h2>
      <LinkState feed={feed} />
      <Announcer feed={feed} />
      {!s ? (
        <p role="status">{w.waitingForFirst}</p>
      ) : (
        <>
          {s.queue.enabled === false && <p class="notice">{w.noWaitingRoom}</p>}
          <Figures s={s} />
          <Charts feed={feed} />
          <div class="panels">
            <Lights s={s} />
            <Refusals s={s} />
            <Regions s={s} />
          </div>
        </>
      )}
    </section>
  );
}
