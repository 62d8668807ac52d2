/**
 * Sign-in with a staff token: POST /staff/session turns it into the httpOnly session cookie, and
 * the field is emptied at once (the token is not kept in the page). A call-centre agent's token
 * is signed out again: the portal is for clinic staff and operators.
 */
import { useSignal } from '@preact/signals';
import { useRef } from 'preact/hooks';
import { api } from './api.ts';
import { session, signInNote } from './session.ts';
import { errorText, t } from './words.ts';

export function SignIn() {
  const w = t().signIn;
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    const field = input.current!;
    const token = field.value.trim();
    if (!token) {
      field.focus();
      return;
    }
    busy.value = true;
    error.value = null;
    try {
      const s = await api.signIn(token);
      field.value = '';
      if (s.role === 'agent') {
        await api.signOut().catch(() => undefined);
        error.value = w.wrongRole;
        field.focus();
        return;
      }
      signInNote.value = null;
      session.value = s;
    } catch (err) {
      error.value = errorText(err);
      field.select();
    } finally {
      busy.value = false;
    }
  }

  return (
    <section aria-labelledby="signin-heading">
      <h1 id="signin-heading">{w.heading}</h1>
      {signInNote.value && <p class="notice" role="status">{signInNote.value}</p>}
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
          aria-describedby={error.value ? 'signin-error' : undefined}
        />
        {error.value && <p id="signin-error" class="error" role="alert">{error.value}</p>}
        <p>
          <button type="submit" data-testid="signin" disabled={busy.value}>{busy.value ? w.signingIn : w.submit}</button>
        </p>
      </form>
    </section>
  );
}
