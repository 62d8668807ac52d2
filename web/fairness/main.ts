/**
 * The fairness record page (issue #10), plain TypeScript like the waiting page: it shows
 * GET /api/v1/campaigns/{id}/fairness for `?campaign=…` in plain words, and once the seed is
 * revealed it recomputes the commitment's SHA-256 in the browser (Web Crypto: https or localhost)
 * — a check that needs nothing of the server but the JSON. The structure is index.html's; every
 * word is from web/i18n/*\/fairness.ts.
 */
import '../shared/base.css';
import './fairness.css';
import { call } from '../shared/http.ts';
import { currentLang, largeText, wireToggles, type Lang } from '../i18n/lang.ts';
import { common as commonKo } from '../i18n/ko/common.ts';
import { common as commonEn } from '../i18n/en/common.ts';
import { fairness as fairKo } from '../i18n/ko/fairness.ts';
import { fairness as fairEn } from '../i18n/en/fairness.ts';
import type { FairnessRecordJson } from '../../src/waiting-room/fairness-record.ts';

const campaign = new URLSearchParams(location.search).get('campaign') ?? '';
let lang: Lang = currentLang();
let large = largeText();
let record: FairnessRecordJson | null = null;
let problem: string | null = null;
/** The browser's own SHA-256 of the revealed input: true/false, or null when it cannot compute one. */
let matches: boolean | null = null;

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const words = () => (lang === 'en' ? fairEn : fairKo);
const common = () => (lang === 'en' ? commonEn : commonKo);
const locale = () => (lang === 'en' ? 'en-GB' : 'ko-KR');
const num = (n: number | null, digits = 1) => (n === null ? words().none : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n));
const secs = (n: number | null) => (n === null ? words().none : words().seconds(num(n)));
const share = (n: number | null) => (n === null ? words().none : `${num(n * 100)} %`);
const when = (iso: string | null) =>
  iso === null ? words().none : new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'medium', hourCycle: 'h23', timeZone: 'Asia/Seoul' }).format(new Date(iso));

/** Fills a definition list with label–value rows (values as text; `code` rows in <code>). */
function rows(id: string, items: [string, string, boolean?][]): void {
  $(id).replaceChildren(
    ...items.flatMap(([label, value, code]) => {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      const inner = code ? document.createElement('code') : dd;
      inner.textContent = value;
      if (code) dd.append(inner);
      return [dt, dd];
    }),
  );
}

function renderRecord(r: FairnessRecordJson): void {
  const w = words();
  const s = r.seed;
  $('at').textContent = w.at(when(r.at));
  $('seed-state').textContent = w.state[s.state];
  const hidden = w.notRevealed;
  rows('seed', [
    [w.commitment, s.commitment ?? w.none, s.commitment !== null],
    [w.committedAt, when(s.committedAt)],
    [w.preQueueOpensAt, when(r.preQueueOpensAt)],
    [w.opening, when(r.opening)],
    [w.seed, s.value === null ? hidden : String(s.value), s.value !== null],
    [w.nonce, s.nonce ?? hidden, s.nonce !== null],
    [w.input, s.input, true],
  ]);
  const check = $('check');
  check.hidden = s.state !== 'revealed';
  check.className = matches === null ? 'muted' : matches ? 'ok' : 'bad';
  check.textContent = matches === null ? w.checkUnavailable : matches ? `✔ ${w.checkOk}` : `✘ ${w.checkBad}`;
  $('order-explain').textContent = w.orderExplain(r.shuffle.preQueueSize === null ? w.notRevealed : num(r.shuffle.preQueueSize, 0));
  rows('algorithm', [[w.algorithm, r.shuffle.algorithm, true]]);
  const table = $('sample') as HTMLTableElement;
  table.hidden = r.shuffle.sample.length === 0;
  table.tBodies[0]?.replaceChildren(
    ...r.shuffle.sample.map((x) => {
      const tr = document.createElement('tr');
      for (const v of [x.number, x.position]) tr.insertCell().textContent = String(v);
      return tr;
    }),
  );
  $('command').textContent = `npx yeyak fairness verify --target ${location.origin} --campaign ${r.campaignId}`;
  const a = r.admissionOrder;
  rows('admission', [
    [w.recorded, num(a.recorded, 0)],
    [w.inversions, `${num(a.inversionsBeyondShuffle, 0)} ${w.zeroExpected}`],
    [w.mismatches, `${num(a.positionMismatches, 0)} ${w.zeroExpected}`],
  ]);
  const e = r.eta;
  rows('eta', [
    [w.samples, num(e.samples, 0)],
    [w.within, share(e.withinTwentyPercent)],
    [w.errorMedian, secs(e.errorP50Seconds)],
    [w.errorP90, secs(e.errorP90Seconds)],
    [w.waitMedian, secs(e.waitP50Seconds)],
  ]);
}

function render(): void {
  const w = words();
  const c = common();
  document.title = w.docTitle;
  for (const el of document.querySelectorAll<HTMLElement>('[data-t]')) el.textContent = String(w[el.dataset.t as keyof typeof w]);
  $('skip').textContent = c.skipToContent;
  $('lang').textContent = c.langToggle;
  $('lang').setAttribute('aria-label', c.langToggleLabel);
  $('large').textContent = c.largeText;
  $('large').setAttribute('aria-pressed', String(large));
  $('problem').hidden = problem === null;
  $('problem').textContent = problem === null ? '' : problem === 'none' ? w.noCampaign : `${w.loadFailed} ${problem}`;
  $('record').hidden = record === null;
  if (record) renderRecord(record);
}

/** SHA-256 of the revealed input, in this browser; null where Web Crypto is not offered (plain http). */
async function recompute(r: FairnessRecordJson): Promise<boolean | null> {
  if (r.seed.state !== 'revealed' || r.seed.commitment === null || !globalThis.crypto?.subtle) return null;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(r.seed.input));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return hex === r.seed.commitment;
}

async function load(): Promise<void> {
  if (!campaign) {
    problem = 'none';
    return render();
  }
  try {
    record = await call<FairnessRecordJson>(`campaigns/${encodeURIComponent(campaign)}/fairness`);
    matches = await recompute(record);
  } catch (e) {
    problem = lang === 'ko' && e instanceof Error && 'messageKo' in e && e.messageKo ? String(e.messageKo) : e instanceof Error ? e.message : String(e);
  }
  render();
}

wireToggles(lang, large, (l, g) => {
  lang = l;
  large = g;
  render();
});
document.documentElement.lang = lang;
render();
void load();
