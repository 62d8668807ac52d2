/**
 * A staff page's sign-in state (the operator console; the clinic portal may use it too). The
 * session itself is the server's httpOnly `yeyak_staff` cookie: the page keeps only what
 * GET /staff/session says about it (role, clinic, name), never the token. Writes send the
 * readable `yeyak_staff_csrf` cookie as X-CSRF-Token.
 */
import { signal } from '@preact/signals';
import { ApiError, call } from './http.ts';

export type StaffRole = 'operator' | 'clinic' | 'agent';

export interface StaffSession {
  role: StaffRole;
  clinicId: string | null;
  name: string;
  expiresAt: string;
}

export interface StaffSessionWords {
  /** Said on the sign-in screen when a call meets a 401 after sign-in. */
  expired: string;
  signedOut: string;
}

export function isUnauthenticated(e: unknown): boolean {
  return e instanceof ApiError && e.status === 401;
}

export const staffApi = {
  session: () => call<StaffSession>('staff/session'),
  signIn: (token: string) => call<StaffSession>('staff/session', { method: 'POST', body: { token } }),
  signOut: () => call<null>('staff/session', { method: 'DELETE', csrfCookie: 'yeyak_staff_csrf' }),
};

/** The page's session signals and what changes them; `words` and `errorText` in the page's language. */
export function staffSession(words: () => StaffSessionWords, errorText: (e: unknown) => string) {
  /** undefined while the first GET /staff/session is on its way; null when signed out. */
  const session = signal<StaffSession | null | undefined>(undefined);
  /** A sentence for the sign-in screen (signed out, session ended, an error). */
  const signInNote = signal<string | null>(null);

  const sessionLost = (): void => {
    if (session.value === null) return;
    session.value = null;
    signInNote.value = words().expired;
  };

  return {
    session,
    signInNote,
    sessionLost,
    async resume(): Promise<void> {
      try {
        session.value = await staffApi.session();
      } catch (e) {
        session.value = null;
        if (!isUnauthenticated(e)) signInNote.value = errorText(e);
      }
    },
    /** Runs a call; a 401 ends the session on the page (expired, revoked, signed out elsewhere), other errors go to the caller. */
    async guarded<T>(run: () => Promise<T>): Promise<T> {
      try {
        return await run();
      } catch (e) {
        if (isUnauthenticated(e)) sessionLost();
        throw e;
      }
    },
    async signOut(): Promise<void> {
      try {
        await staffApi.signOut();
      } catch {
        // Already ended on the server: signed out either way.
      }
      session.value = null;
      signInNote.value = words().signedOut;
    },
  };
}
