/**
 * The waiting page's screen: one `render()` of the whole page from what the page knows (the last
 * answer, the phase of its loop) in the current language, and the polite announcements. The
 * structure is web/wait/index.html's; every word is from web/i18n/*\/wait.ts.
 */
import { currentLang, largeText, wireToggles, type Lang } from '../i18n/lang.ts';
import { common as commonKo } from '../i18n/ko/common.ts';
import { common as commonEn } from '../i18n/en/common.ts';
import { wait as waitKo } from '../i18n/ko/wait.ts';
import { wait as waitEn } from '../i18n/en/wait.ts';
import { supply as supplyKo } from '../i18n/ko/supply.ts';
import { supply as supplyEn } from '../i18n/en/supply.ts';
import { nowMs } from '../shared/clock.ts';
import type { Standing } from './api.ts';
import { progressPercent, shouldAnnounce, splitDuration, type Announced, type Place } from './logic.ts';

export type Phase = 'joining' | 'pow' | 'waiting' | 'retrying' | 'closed' | 'ended' | 'admitted' | 'problem' | 'soldOut';
type Words = typeof waitKo;

/** A problem to show: one of the page's own, or the server's words for a catalogue code. */
export type Problem = { own: keyof Words['problem']; home?: boolean } | { server: { ko: string; en: string } };

export const view = {
  phase: 'joining' as Phase,
  standing: null as Standing | null,
  place: null as Place | null,
  powPercent: 0,
  retryInS: 0,
  closed: null as { opensAt: string; joinFrom: string } | null,
  problem: null as Problem | null,
  sandbox: false,
  /** A join refused as sold out: the server's notice (phase 'soldOut'). */
  soldOutNotice: null as { ko: string; en: string } | null,
};

let lang: Lang = currentLang();
let large = largeText();
let announced: Announced | null = null;

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const words = (): Words => (lang === 'en' ? waitEn : waitKo);
const supplyWords = () => (lang === 'en' ? supplyEn : supplyKo);
const locale = () => (lang === 'en' ? 'en-GB' : 'ko-KR');
const count = (n: number) => words().people(new Intl.NumberFormat(locale()).format(n));

function duration(seconds: number): string {
  const d = splitDuration(seconds);
  return d ? words().duration(d.hours, d.minutes) : words().underMinute;
}

/** A server instant in Korea's time: the time only, or with the day. */
function when(iso: string, withDay: boolean): string {
  const day: Intl.DateTimeFormatOptions = withDay ? { month: 'long', day: 'numeric', weekday: 'short' } : {};
  return new Intl.DateTimeFormat(locale(), { ...day, hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Asia/Seoul' }).format(new Date(iso));
}

const seoulDay = (iso: string) => new Date(Date.parse(iso) + 9 * 3_600_000).toISOString().slice(0, 10);
const sameDay = (c: { opensAt: string; joinFrom: string }) => seoulDay(c.opensAt) === seoulDay(c.joinFrom);

const preQueue = (s: Standing | null): s is Standing & { opening: string } => s !== null && s.position === null && s.opening !== null;

function stateText(): string {
  const t = words().state;
  const s = view.standing;
  switch (view.phase) {
    case 'joining':
      return t.joining;
    case 'pow':
      return t.pow(view.powPercent);
    case 'retrying':
      return t.retrying(view.retryInS);
    case 'closed':
      return view.closed ? t.closed(when(view.closed.opensAt, true), when(view.closed.joinFrom, !sameDay(view.closed))) : '';
    case 'ended':
      return t.ended;
    case 'admitted':
      return t.admitted;
    case 'problem':
      return '';
    case 'soldOut':
      return supplyWords().joinRefused;
    default:
      if (s?.supplyState === 'sold_out') return supplyWords().waiting;
      if (s?.paused) return t.paused;
      if (s?.passPending) return t.pending;
      return preQueue(s) ? t.preQueue(when(s.opening, false)) : t.waiting;
  }
}

function etaText(s: Standing): string {
  const t = words();
  if (s.paused) return t.etaPaused;
  if (preQueue(s)) return t.etaPreQueue(when(s.opening, false));
  const [about, low, high] = [s.etaSeconds, s.etaLowSeconds, s.etaHighSeconds].map(duration) as [string, string, string];
  if (s.etaHighSeconds < 60) return t.underMinute;
  return low === high ? t.etaAbout(about) : `${t.etaAbout(about)} ${t.etaRange(low, high)}`;
}

function renderPlace(s: Standing | null): void {
  const shown = s !== null && view.phase !== 'closed' && view.phase !== 'ended' && view.phase !== 'problem';
  $('place').hidden = !shown;
  if (!s || !shown) return;
  const t = words();
  $('ahead-label').textContent = s.position === null ? t.aheadPreQueue : t.ahead;
  $('ahead').textContent = count(s.ahead);
  $('eta').textContent = etaText(s);
  const percent = s.state === 'admitted' ? 100 : progressPercent(s.ahead, view.place?.aheadAtStart ?? null);
  const bar = $('progress') as HTMLProgressElement;
  const text = percent === null ? t.progressUnknown : t.progressValue(percent);
  if (percent === null) bar.removeAttribute('value');
  else bar.value = percent;
  bar.setAttribute('aria-valuetext', text);
  bar.textContent = text; // the fallback where <progress> is not drawn
  $('progress-text').textContent = text;
}

function renderProblem(): void {
  const p = view.problem;
  const box = $('problem');
  box.hidden = p === null;
  if (!p) return;
  box.textContent = 'own' in p ? words().problem[p.own] : p.server[lang] || p.server.en;
  if ('own' in p && p.home) {
    const a = document.createElement('a');
    a.href = '/';
    a.textContent = words().home;
    box.append(' ', a);
  }
}

/** The notice line: sold out's (the server's words) before the operators' own. */
function noticeOf(): { ko: string; en: string } | null {
  if (view.phase === 'soldOut') return view.soldOutNotice;
  return view.standing?.supplyNotice ?? view.standing?.notice ?? null;
}

/** The whole page from `view`, in the current language. */
export function render(): void {
  const t = words();
  const c = lang === 'en' ? commonEn : commonKo;
  document.documentElement.lang = lang;
  document.title = t.docTitle;
  for (const el of document.querySelectorAll<HTMLElement>('[data-t]')) el.textContent = t[el.dataset.t as 'title'];
  $('skip').textContent = c.skipToContent;
  const sandbox = $('sandbox');
  sandbox.hidden = !view.sandbox;
  sandbox.textContent = c.sandbox;
  const largeButton = $('large');
  largeButton.textContent = c.largeText;
  largeButton.setAttribute('aria-pressed', String(large));
  const langButton = $('lang');
  langButton.textContent = c.langToggle;
  langButton.lang = lang === 'ko' ? 'en' : 'ko';
  langButton.setAttribute('aria-label', c.langToggleLabel);
  $('main').dataset.phase = view.phase; // wait.css: no "your place is kept" where there is none
  $('state').textContent = stateText();
  const work = $('pow') as HTMLProgressElement;
  work.hidden = view.phase !== 'pow';
  work.value = view.powPercent;
  work.setAttribute('aria-valuetext', t.progressValue(view.powPercent));
  const notice = noticeOf();
  const noticeText = notice ? notice[lang] || notice.en || notice.ko : '';
  $('notice').hidden = !noticeText || view.phase === 'problem';
  $('notice').textContent = `${t.notice}${noticeText}`;
  renderPlace(view.standing);
  renderProblem();
}

/**
 * Tells a screen reader what changed (aria-live="polite"): a new state or notice at once, the
 * count only when it moved enough since it was last told (logic.ts shouldAnnounce).
 */
export function announce(): void {
  const s = view.standing;
  const shown = noticeOf();
  const notice = shown ? shown[lang] : '';
  const key = [view.phase, s?.paused, s?.passPending, s?.supplyState, s?.position === null, notice].join('|');
  const ahead = s?.ahead ?? -1;
  if (!shouldAnnounce(announced, key, ahead, nowMs())) return;
  const counted = s && view.phase === 'waiting' && !s.paused && s.position !== null ? words().announce(count(s.ahead), etaText(s)) : '';
  const text = (announced?.key !== key ? [stateText(), notice, counted] : [counted]).filter(Boolean).join(' ');
  if (!text) return;
  announced = { key, ahead, atMs: nowMs() };
  $('live').textContent = text;
}

/** The language toggle and the large-text switch (as on the other pages, without their framework). */
export function wireTopBar(): void {
  wireToggles(lang, large, (l, g) => {
    lang = l;
    large = g;
    render();
  });
}
