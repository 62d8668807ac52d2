/**
 * A staff page's frame (the operator console; the clinic portal may use it too): the top bar with
 * who is signed in and sign-out, and the body — "checking", the sign-in form, or the page itself.
 * The token field is emptied at once, whatever the answer: the token is not kept in the page
 * (POST /staff/session turns it into the httpOnly cookie, web/shared/staff.ts).
 */
import { useSignal } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { staffApi, type StaffRole, type StaffSession, type staffSession } from './staff.ts';
import { TopBar } from './ui.tsx';

export interface StaffSignInWords {
  heading: string;
  intro: string;
  tokenLabel: string;
  tokenHint: string;
  tokenMissing: string;
  submit: string;
  signingIn: string;
}

function StaffSignIn(props: { words: StaffSignInWords; note: string | null; signIn: (token: string) => Promise<string | null> }) {
  const w = props.words;
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    const field = input.current!;
    const token = field.value.trim();
    field.value = '';
    error.value = token ? null : w.tokenMissing;
    if (token) {
      busy.value = true;
      error.value = await props.signIn(token);
      busy.value = false;
    }
    if (error.value) field.focus();
  }

  return (
    <section aria-labelledby="signin-heading" class="signin">
      <h1 id="signin-heading">{w.heading}</h1>
      {props.note && <p class="notice" role="status">{props.note}</p>}
      <p>{w.intro}</p>
      <form onSubmit={submit} noValidate>
        <label for="signin-token">{w.tokenLabel}</label>
        <input
          id="signin-token"
          data-testid="signin-token"
          ref={input}
          type="password"
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          required
          aria-invalid={error.value ? true : undefined}
          aria-describedby={error.value ? 'signin-hint signin-error' : 'signin-hint'}
        />
        <p id="signin-hint" class="hint">{w.tokenHint}</p>
        {error.value && <p id="signin-error" class="error" role="alert">{error.value}</p>}
        <p>
          <button type="submit" data-testid="signin" disabled={busy.value}>{busy.value ? w.signingIn : w.submit}</button>
        </p>
      </form>
    </section>
  );
}

export interface StaffPageWords {
  title: string;
  signOut: string;
  signedInAs: (name: string, role: string) => string;
  roles: Readonly<Record<StaffRole, string>>;
  signIn: StaffSignInWords & { checking: string };
}

interface StaffPageProps {
  staff: ReturnType<typeof staffSession>;
  words: StaffPageWords;
  errorText: (e: unknown) => string;
  children: (s: StaffSession) => ComponentChildren;
}

export function StaffPage({ staff, words: w, errorText, children }: StaffPageProps) {
  const s = staff.session.value;
  useEffect(() => {
    void staff.resume();
  }, []);
  // Signing in or out replaces the whole body: the focus goes to the new one, not to <body>.
  const signedIn = s ? true : s === null ? false : undefined;
  const before = useRef(signedIn);
  useEffect(() => {
    if (before.current !== undefined && before.current !== signedIn) {
      document.getElementById(signedIn ? 'main' : 'signin-token')?.focus();
    }
    before.current = signedIn;
  }, [signedIn]);
  useEffect(() => {
    document.title = `${w.title} · yeyak`;
  });
  const signIn = async (token: string): Promise<string | null> => {
    try {
      staff.session.value = await staffApi.signIn(token);
      staff.signInNote.value = null;
      return null;
    } catch (e) {
      return errorText(e);
    }
  };
  return (
    <>
      <TopBar>
        <span class="brand">{w.title}</span>
        {s && <span class="who">{w.signedInAs(s.name, w.roles[s.role])}</span>}
        {s && <button type="button" data-testid="signout" onClick={() => void staff.signOut()}>{w.signOut}</button>}
      </TopBar>
      <main id="main" tabIndex={-1} class="staff">
        {s === undefined && <p role="status">{w.signIn.checking}</p>}
        {s === null && <StaffSignIn words={w.signIn} note={staff.signInNote.value} signIn={signIn} />}
        {s && children(s)}
      </main>
    </>
  );
}
