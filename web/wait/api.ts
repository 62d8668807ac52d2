/**
 * The waiting page's three calls: join, status, challenge. Beside web/shared/http.ts's `call()`
 * (whose CSRF cookie and ApiError it uses) because this page also needs what the answers' headers
 * say (the sandbox, Retry-After) and must survive an overloaded edge answering 503 in
 * HTML, with a timeout on every request so a hung connection cannot stall the line.
 */
import { API, ApiError, cookie } from '../shared/http.ts';
import { syncTo } from '../shared/clock.ts';
import { REQUEST_TIMEOUT_MS } from './logic.ts';

/** GET /queue/status and POST …/queue answers (src/waiting-room/routes.ts). */
export interface Standing {
  state: 'waiting' | 'admitted';
  ahead: number;
  position: number | null;
  etaSeconds: number;
  etaLowSeconds: number;
  etaHighSeconds: number;
  pollAfterMs: number;
  paused: boolean;
  opening: string | null;
  notice: { ko: string; en: string } | null;
  pass?: string;
  passExpiresAt?: string;
  used?: boolean;
  passPending?: boolean;
  /** Present while the campaign is sold out: no admission, no pass; the place is kept (issue #11). */
  supplyState?: 'sold_out';
  supplyNotice?: { ko: string; en: string };
}
export interface Joined extends Standing {
  ticket: string;
}
export interface Challenge {
  challenge: string;
  difficultyBits: number;
  expiresAt: string;
}

/** Set once any answer carried the Yeyak-Sandbox header. */
export const seen = { sandbox: false };

async function send<T>(path: string, method: string, headers: Record<string, string>, body?: unknown): Promise<T> {
  const h: Record<string, string> = { accept: 'application/json', ...headers };
  if (method !== 'GET') {
    const csrf = cookie('yeyak_csrf');
    if (csrf) h['x-csrf-token'] = csrf;
    if (body !== undefined) h['content-type'] = 'application/json';
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
  try {
    const res = await fetch(`${API}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store', signal: abort.signal });
    if (res.headers.has('yeyak-sandbox')) seen.sandbox = true;
    let json: unknown = null;
    try {
      json = await res.json();
    } catch {
      // an edge's HTML error page: the status and Retry-After still say enough
    }
    if (res.ok) return json as T;
    const e = (json as { error?: { code?: string; message?: string; messageKo?: string; details?: unknown } } | null)?.error ?? {};
    const retry = Number(res.headers.get('retry-after'));
    throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText, e.messageKo ?? '', e.details ?? null, retry > 0 ? retry : null);
  } finally {
    clearTimeout(timer);
  }
}

const campaignPath = (c: string) => `/campaigns/${encodeURIComponent(c)}/queue`;

/** Joins (or keeps the place of `ticket`); `pow` when the campaign asked for the work. */
export function join(c: string, ticket: string | null, pow?: { challenge: string; nonce: string }): Promise<Joined> {
  return send<Joined>(campaignPath(c), 'POST', ticket ? { 'yeyak-ticket': ticket } : {}, pow ? { pow } : undefined);
}

export function status(ticket: string): Promise<Standing> {
  return send<Standing>('/queue/status', 'GET', { authorization: `Bearer ${ticket}` });
}

export function challenge(c: string): Promise<Challenge> {
  return send<Challenge>(`${campaignPath(c)}/challenge`, 'GET', {});
}

/**
 * Sets the page clock to the server's (its campaign clock: a rehearsal runs in August 2021), for
 * a closed campaign's "join by itself then". Only there: the line itself needs no absolute time.
 */
export async function syncClock(): Promise<void> {
  const list = await send<{ now?: string }[]>('/campaigns', 'GET', {});
  if (list[0]?.now) syncTo(list[0].now);
}
