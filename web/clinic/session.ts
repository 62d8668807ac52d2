/**
 * Who is signed in (web/shared/staff.ts: the httpOnly cookie, never the token), and which clinic
 * the page shows. An operator's chosen clinic lives in the address (`#clinic=C000001`), so a
 * reload or a shared link opens the same clinic.
 */
import { signal } from '@preact/signals';
import { staffSession, type StaffSession } from '../shared/staff.ts';
import { errorText, t } from './words.ts';

export const staff = staffSession(() => t().signIn, errorText);
export const { session, guarded } = staff;
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

/** A call-centre agent's token: signed out again, with the reason on the sign-in screen. */
export async function refuseAgent(): Promise<void> {
  await staff.signOut();
  staff.signInNote.value = t().signIn.wrongRole;
}
