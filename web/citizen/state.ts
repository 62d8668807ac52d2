/**
 * What the citizen pages share: the campaigns (GET /campaigns, which also syncs the page clock
 * to the server's), the waiting-room pass the waiting page left (sessionStorage, localStorage as
 * fallback: web9 hand-off) and the Idempotency-Key of the booking attempt in progress.
 */
import { signal } from '@preact/signals';
import { cookie } from '../shared/http.ts';
import { syncTo } from '../shared/clock.ts';
import { api, type Campaign } from './api.ts';

export const campaigns = signal<Campaign[] | null>(null);
export const campaignsError = signal<unknown>(null);

export async function loadCampaigns(): Promise<Campaign[] | null> {
  try {
    const list = await api.campaigns();
    if (list[0]) syncTo(list[0].now);
    campaigns.value = list;
    campaignsError.value = null;
    return list;
  } catch (e) {
    campaignsError.value = e;
    return null;
  }
}

export function campaignOf(id: string): Campaign | undefined {
  return campaigns.value?.find((c) => c.id === id);
}

/** The campaign the citizen started with (landing's start button), for this tab. */
const CHOSEN = 'yeyak.campaign';
export function chooseCampaign(id: string): void {
  safe(() => sessionStorage.setItem(CHOSEN, id));
}
export function chosenCampaign(): string | null {
  return safe(() => sessionStorage.getItem(CHOSEN)) ?? null;
}

/** A session is likely (the readable CSRF cookie comes with it); the server still decides. */
export function hasSession(): boolean {
  return cookie('yeyak_csrf') !== null;
}

/** The waiting room's pass for a campaign, as the waiting page stored it. */
export function passOf(campaignId: string): string | null {
  const key = `yeyak.pass.${campaignId}`;
  const raw = safe(() => sessionStorage.getItem(key)) ?? safe(() => localStorage.getItem(key)) ?? null;
  if (!raw) return null;
  // Kept as the bare token; tolerate a JSON wrapper {pass, expiresAt}.
  if (raw.startsWith('{')) {
    try {
      const v = JSON.parse(raw) as { pass?: unknown };
      return typeof v.pass === 'string' ? v.pass : null;
    } catch {
      return null;
    }
  }
  return raw;
}

export function dropPass(campaignId: string): void {
  const key = `yeyak.pass.${campaignId}`;
  safe(() => sessionStorage.removeItem(key));
  safe(() => localStorage.removeItem(key));
}

/** Headers of a booking write: the pass where the campaign's waiting room is on. */
export function writeHeaders(c: Campaign | undefined): Record<string, string> {
  const pass = c?.waitingRoom.enabled ? passOf(c.id) : null;
  return pass ? { 'yeyak-pass': pass } : {};
}

/**
 * What "My booking" was doing when it sent the citizen to the waiting room for a pass (a change
 * or a cancel needs one too where the line is on): the waiting page moves on to #/book/<c>, which
 * sees this and hands over to #/my, which carries on.
 */
export type AfterWait = 'my' | 'my:change' | 'my:cancel';
const AFTER_WAIT = 'yeyak.afterWait';

/** Sends the citizen to the waiting room (web9 hand-off: it comes back to #/book/<c> when admitted). */
export function goToWaitingRoom(campaignId: string, after?: AfterWait, replace = false): void {
  if (after) safe(() => sessionStorage.setItem(AFTER_WAIT, after));
  const url = `/wait/?c=${encodeURIComponent(campaignId)}`;
  if (replace) location.replace(url);
  else location.assign(url);
}
export function peekAfterWait(): AfterWait | null {
  const v = safe(() => sessionStorage.getItem(AFTER_WAIT));
  return v === 'my' || v === 'my:change' || v === 'my:cancel' ? v : null;
}
export function takeAfterWait(): AfterWait | null {
  const v = peekAfterWait();
  safe(() => sessionStorage.removeItem(AFTER_WAIT));
  return v;
}

/**
 * One booking attempt = one Idempotency-Key: the same clinic and date keep their key across
 * retries (a lost answer, a reload, "busy"), so the server answers the same booking instead of
 * making a second; another choice is another attempt.
 */
export function attemptKey(campaignId: string, clinicId: string, date: string): string {
  const store = `yeyak.attempt.${campaignId}`;
  const want = `${clinicId}|${date}`;
  const raw = safe(() => sessionStorage.getItem(store));
  if (raw) {
    const [what, key] = raw.split('#');
    if (what === want && key) return key;
  }
  const key = newKey();
  safe(() => sessionStorage.setItem(store, `${want}#${key}`));
  return key;
}
/** crypto.randomUUID; outside a secure context (plain http on a LAN address) the same from getRandomValues. */
function newKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

export function endAttempt(campaignId: string): void {
  safe(() => sessionStorage.removeItem(`yeyak.attempt.${campaignId}`));
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
