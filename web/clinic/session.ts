/**
 * Who is signed in, and which clinic the page shows. The session itself is the server's httpOnly
 * cookie: the page keeps only what GET /staff/session says about it (role, clinic, name), never
 * the token. An operator's chosen clinic lives in the address (`#clinic=C000001`), so a reload or
 * a shared link opens the same clinic.
 */
import { signal } from '@preact/signals';
import { api, type StaffSession } from './api.ts';
import { errorText, isUnauthenticated, t } from './words.ts';

/** undefined while the first GET /staff/session is on its way; null when signed out. */
export const session = signal<StaffSession | null | undefined>(undefined);
/** A sentence for the sign-in screen (signed out, session ended, an error). */
export const signInNote = signal<string | null>(null);
export const chosenClinic = signal<string | null>(clinicFromHash());

function clinicFromHash(): string | null {
  const m = /^#clinic=([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
  return m ? m[1]! : null;
}

addEventListener('hashchange', () => {
  chosenClinic.value = clinicFromHash();
});

export function chooseClinic(id: string | null): void {
  if (id) location.hash = `clinic=${id}`;
  else history.replaceState(null, '', location.pathname + location.search);
  chosenClinic.value = id;
}

/** The clinic the page shows: clinic staff their own; an operator the one they chose. */
export function shownClinic(s: StaffSession): string | null {
  return s.role === 'clinic' ? s.clinicId : chosenClinic.value;
}

export async function resume(): Promise<void> {
  try {
    session.value = await api.session();
  } catch (e) {
    session.value = null;
    if (!isUnauthenticated(e)) signInNote.value = errorText(e);
  }
}

/** Any call answered 401 after sign-in: the session ended (expired, revoked, signed out elsewhere). */
export function sessionLost(): void {
  session.value = null;
  signInNote.value = t().signIn.expired;
}

/** Runs a call; a 401 ends the session on the page, other errors go to the caller. */
export async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (isUnauthenticated(e)) sessionLost();
    throw e;
  }
}

export async function signOut(): Promise<void> {
  try {
    await api.signOut();
  } catch {
    // Already ended on the server: signed out either way.
  }
  session.value = null;
  signInNote.value = t().signIn.signedOut;
}
