/**
 * The waiting page (issue #9), plain TypeScript: a million phones load it at once.
 *
 * Its loop: with a stored ticket (localStorage `yeyak.ticket.<c>`) it polls GET /queue/status
 * straight away; without one it joins (POST …/queue, solving the proof of work first when the
 * campaign asks). It polls again after the answer's `pollAfterMs` — never sooner — and after a
 * failure backs off (Retry-After first). An unknown or lapsed ticket joins again, sending the
 * ticket (Yeyak-Ticket) so the place is kept where it still can be. Admitted with a pass: the
 * pass goes to sessionStorage and localStorage `yeyak.pass.<c>`, and the page moves on to
 * `/#/book/<c>` by itself. The tab may be hidden: the place is kept alive at the same pace.
 * web/wait/index.html is structure only (a CDN caches it): every word comes from the dictionaries.
 */
import '../shared/base.css';
import './wait.css';
import { ApiError } from '../shared/http.ts';
import { nowMs } from '../shared/clock.ts';
import * as api from './api.ts';
import { backoffMs, nextPlace, parsePlace, pollDelayMs, reopenDelayMs } from './logic.ts';
import { powAvailable, solvePow } from './pow.ts';
import { announce, render, view, wireTopBar, type Phase, type Problem } from './view.ts';

// Verifying again (on this device, with fresh cookies) is the way out of each of these.
const SESSION_CODES = ['YEYAK_E_UNAUTHENTICATED', 'YEYAK_E_SESSION_EXPIRED', 'YEYAK_E_SESSION_REVOKED', 'YEYAK_E_DEVICE_MISMATCH', 'YEYAK_E_CSRF_TOKEN_INVALID'];
const NOT_NOW_CODES = ['YEYAK_E_NOT_ELIGIBLE', 'YEYAK_E_WINDOW_CLOSED'];
const POW_CODES = ['YEYAK_E_POW_REQUIRED', 'YEYAK_E_POW_INVALID', 'YEYAK_E_POW_REUSED'];
const TICKET_CODES = ['YEYAK_E_TICKET_INVALID', 'YEYAK_E_TICKET_LAPSED'];
const POW_ROUNDS_MAX = 3; // challenges solved for one join before backing off
const REJOINS_MAX = 3; // joins in a row without a place that waits, before backing off
const SOLD_OUT_RETRY_MS = 30_000; // a join refused as sold out is tried again about this often (jittered ±25 %)
const POW_SOLVE_MAX_MS = 90_000; // a challenge lives 2 min (POW_CHALLENGE_TTL_MS): solve and send within 1.5

const campaign = new URLSearchParams(location.search).get('c') ?? '';
const ticketKey = `yeyak.ticket.${campaign}`;
const passKey = `yeyak.pass.${campaign}`;

let failures = 0;
let rejoins = 0;
let next: (() => void) | null = null;
let dueAtMs = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let networkDown = false;

function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined; // storage refused (private mode, quota): the page goes on without it
  }
}

function show(phase: Phase, problem: Problem | null = null): void {
  view.phase = phase;
  view.problem = problem;
  view.sandbox = api.seen.sandbox;
  render();
  announce();
}

/** The next step after `delayMs`; a tab coming back to the front runs an overdue one at once. */
function schedule(step: () => void, delayMs: number): void {
  clearTimeout(timer);
  next = step;
  dueAtMs = nowMs() + delayMs;
  timer = setTimeout(runDue, delayMs);
}
function runDue(): void {
  const step = next;
  clearTimeout(timer);
  next = null;
  step?.();
}
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && next && nowMs() >= dueAtMs) runDue();
});
addEventListener('online', () => {
  // The wait was for the network, not the server: try again now it is back.
  if (networkDown && next) runDue();
});

function leave(problem: Problem, to: string): void {
  clearTimeout(timer);
  next = null;
  show('problem', problem);
  location.replace(to);
}

/** A failure worth trying again: 429/503 (Retry-After), 5xx, the network, an unexpected answer. */
function retryLater(e: unknown, step: () => void): void {
  failures++;
  networkDown = !(e instanceof ApiError);
  const retryAfterS = e instanceof ApiError ? e.retryAfterS : null;
  const delayMs = backoffMs(failures, retryAfterS, Math.random());
  view.retryInS = Math.ceil(delayMs / 1000);
  // A catalogue refusal this page has no words for: the server's own, in both languages.
  const told = e instanceof ApiError && e.status < 500 && e.status !== 429 && e.code.startsWith('YEYAK_E_');
  show('retrying', told ? { server: { ko: e.messageKo || e.message, en: e.message } } : null);
  schedule(step, delayMs);
}

/** Refusals that move the person elsewhere or stop the page; false when the caller decides. */
function redirected(e: unknown): boolean {
  if (!(e instanceof ApiError)) return false;
  if (SESSION_CODES.includes(e.code)) {
    // Back here after verifying: the citizen pages' "after verification" (web/citizen/router.ts).
    attempt(() => sessionStorage.setItem('yeyak.next', `#/eligibility/${campaign}`));
    leave({ own: 'toVerify' }, '/#/verify');
  } else if (NOT_NOW_CODES.includes(e.code)) leave({ own: 'toEligibility' }, `/#/eligibility/${campaign}`);
  else if (e.code === 'YEYAK_E_QUEUE_NOT_ENABLED') leave({ own: 'toBooking' }, `/#/book/${campaign}`);
  else if (e.code === 'YEYAK_E_CAMPAIGN_NOT_FOUND') show('problem', { own: 'noCampaign', home: true });
  else return false;
  return true;
}

async function joinLine(pow?: { challenge: string; nonce: string }, powRound = 0): Promise<void> {
  if (!view.standing) show('joining');
  try {
    const joined = await api.join(campaign, view.place?.ticket ?? null, pow);
    failures = 0;
    rejoins++;
    take(joined.ticket, joined);
  } catch (e) {
    if (redirected(e)) return;
    if (e instanceof ApiError && POW_CODES.includes(e.code) && powRound < POW_ROUNDS_MAX) return void doWork(powRound + 1);
    if (e instanceof ApiError && e.code === 'YEYAK_E_CAMPAIGN_CLOSED') return void closed(e.details as { opensAt?: unknown; joinFrom?: unknown } | null);
    if (e instanceof ApiError && e.code === 'YEYAK_E_SOLD_OUT') return soldOut(e.details as { notice?: { ko: string; en: string } } | null);
    retryLater(e, () => void joinLine());
  }
}

/** Sold out, no place given (issue #11): say so, and try joining again now and then. */
function soldOut(details: { notice?: { ko: string; en: string } } | null): void {
  view.soldOutNotice = details?.notice ?? null;
  show('soldOut');
  schedule(() => void joinLine(), SOLD_OUT_RETRY_MS * (0.75 + Math.random() / 2));
}

/** Not open for joining yet (or ever again): say when, and join by itself then. */
async function closed(details: { opensAt?: unknown; joinFrom?: unknown } | null): Promise<void> {
  await api.syncClock().catch(() => undefined); // else the phone's own clock
  const delayMs = reopenDelayMs(details, nowMs(), Math.random());
  if (delayMs === null) return show('ended');
  view.closed = { opensAt: String(details?.opensAt), joinFrom: String(details?.joinFrom) };
  show('closed');
  schedule(() => void joinLine(), delayMs);
}

/** The campaign asks for proof of work: a fresh challenge, solved in slices, then the join. */
async function doWork(powRound: number): Promise<void> {
  if (!powAvailable()) return show('problem', { own: 'noCrypto' });
  try {
    const asked = await api.challenge(campaign);
    view.powPercent = 0;
    show('pow');
    // The challenge's life on this phone's clock (the server's may be a rehearsal's, or off).
    const giveUpAtMs = nowMs() + POW_SOLVE_MAX_MS;
    const nonce = await solvePow(asked.challenge, asked.difficultyBits, (p) => {
      view.powPercent = p;
      render();
    }, () => nowMs() >= giveUpAtMs);
    if (nonce === null) return powRound < POW_ROUNDS_MAX ? void doWork(powRound + 1) : retryLater(new Error('unsolved'), () => void joinLine());
    await joinLine({ challenge: asked.challenge, nonce }, powRound);
  } catch (e) {
    if (!redirected(e)) retryLater(e, () => void joinLine());
  }
}

async function poll(): Promise<void> {
  const place = view.place;
  if (!place) return joinLine();
  try {
    const standing = await api.status(place.ticket);
    failures = 0;
    take(place.ticket, standing);
  } catch (e) {
    if (e instanceof ApiError && TICKET_CODES.includes(e.code) && rejoins < REJOINS_MAX) return joinLine();
    if (!redirected(e)) retryLater(e, () => void poll());
  }
}

/** An answer about the person's place: keep it, show it, and poll, rejoin or move on. */
function take(ticket: string, standing: api.Standing): void {
  if (standing.state === 'admitted' && standing.used) {
    // That place bought a booking already: a new one, at the back (the server decides).
    forget();
    if (rejoins < REJOINS_MAX) return void joinLine();
    return retryLater(new Error('place spent'), () => void joinLine());
  }
  view.place = nextPlace(view.place, ticket, standing);
  attempt(() => localStorage.setItem(ticketKey, JSON.stringify(view.place)));
  view.standing = standing;
  if (standing.state === 'admitted' && standing.pass) {
    const pass = standing.pass;
    attempt(() => sessionStorage.setItem(passKey, pass));
    attempt(() => localStorage.setItem(passKey, pass));
    show('admitted');
    clearTimeout(timer);
    location.replace(`/#/book/${encodeURIComponent(campaign)}`);
    return;
  }
  if (standing.state === 'waiting') rejoins = 0;
  show('waiting');
  schedule(() => void poll(), pollDelayMs(standing.pollAfterMs));
}

function forget(): void {
  view.place = null;
  attempt(() => localStorage.removeItem(ticketKey));
  attempt(() => sessionStorage.removeItem(passKey));
  attempt(() => localStorage.removeItem(passKey));
}

wireTopBar();
if (!/^[A-Za-z0-9-]{1,64}$/.test(campaign)) {
  show('problem', { own: 'noCampaign', home: true });
} else {
  view.place = parsePlace(attempt(() => localStorage.getItem(ticketKey)) ?? null);
  void (view.place ? poll() : joinLine());
}
