/**
 * Verification: the five methods with their traffic lights (a word and a colour; red and grey
 * say so and suggest another method), name, RRN (the back 7 digits hidden while typing), phone;
 * then the code (SMS) or the number the app or certificate shows; errors in plain words.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { lang } from '../shared/ui.tsx';
import type { Method } from './api.ts';
import { api } from './api.ts';
import { instant } from './format.ts';
import { go, takeNext } from './router.ts';
import { campaigns, chosenCampaign, loadCampaigns } from './state.ts';
import { codeOf, Loading, Problem, Title, useT } from './parts.tsx';
import { RrnField, checkPerson, type Person, type PersonErrors } from './person.tsx';

const LIGHTS_REFRESH_MS = 10_000;
const LIGHT_ORDER = { green: 0, yellow: 1, red: 2, grey: 3 } as const;

const usable = (m: Method) => m.available && m.light !== 'grey';
const labelOf = (m: Method) => (lang.value === 'ko' ? m.labelKo : m.labelEn);

/** The best other method now: green before yellow; never a red or grey one. */
function suggestion(methods: Method[], not: string): Method | undefined {
  return methods
    .filter((m) => m.method !== not && usable(m) && (m.light === 'green' || m.light === 'yellow'))
    .sort((a, b) => LIGHT_ORDER[a.light] - LIGHT_ORDER[b.light])[0];
}

interface Challenge {
  id: string;
  expiresAt: string;
  style: Method['style'];
}

function useMethods(): [Method[] | null, unknown, () => void] {
  const [methods, setMethods] = useState<Method[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () =>
    void api.methods().then(
      (m) => {
        setMethods(m);
        setError(null);
      },
      (e) => setError(e),
    );
  useEffect(() => {
    load();
    const timer = setInterval(load, LIGHTS_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  return [methods, error, load];
}

export function Verify() {
  const t = useT();
  const [methods, methodsError, reloadMethods] = useMethods();
  const [method, setMethod] = useState<string | null>(null);
  const [person, setPerson] = useState<Person>({ name: '', rrnFront: '', rrnBack: '', phone: '' });
  const [fieldErrors, setFieldErrors] = useState<PersonErrors>({});
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState(false);
  const [busy, setBusy] = useState<'send' | 'verify' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const codeRef = useRef<HTMLInputElement>(null);

  // Preselect the best method once the lights are known.
  useEffect(() => {
    if (method === null && methods) setMethod(suggestion(methods, '')?.method ?? null);
  }, [methods]);

  const chosen = methods?.find((m) => m.method === method);

  const send = async (e: Event) => {
    e.preventDefault();
    const errs = checkPerson(person);
    if (!chosen) errs.method = true;
    setFieldErrors(errs);
    if (Object.keys(errs).length > 0 || !chosen) {
      // To the first field to fix, in the form's order.
      const first = errs.method ? '.methods input:not(:disabled)' : errs.name ? '#name' : errs.rrnFront ? '#rrn' : errs.rrnBack ? '#rrn-back' : '#phone';
      requestAnimationFrame(() => document.querySelector<HTMLElement>(first)?.focus());
      return;
    }
    setBusy('send');
    setError(null);
    try {
      const phone = person.phone.replace(/[^0-9]/g, '');
      const r = await api.start({ method: chosen.method, name: person.name.trim(), rrn: `${person.rrnFront}-${person.rrnBack}`, phone });
      setChallenge({ id: r.challengeId, expiresAt: r.expiresAt, style: chosen.style });
      setCode('');
      requestAnimationFrame(() => codeRef.current?.focus());
    } catch (err) {
      setError(err);
      if (codeOf(err) === 'YEYAK_E_IDENTITY_UNAVAILABLE') reloadMethods();
    } finally {
      setBusy(null);
    }
  };

  const verify = async (e: Event) => {
    e.preventDefault();
    if (!challenge) return;
    const ok = /^[0-9]{6}$/.test(code);
    setCodeError(!ok);
    if (!ok) return;
    setBusy('verify');
    setError(null);
    try {
      await api.verify(challenge.id, code);
      const next = takeNext();
      if (next) return go(next, true);
      const list = campaigns.value ?? (await loadCampaigns()) ?? [];
      const c = chosenCampaign() ?? list[0]?.id;
      go(c ? `#/eligibility/${c}` : '#/', true);
    } catch (err) {
      setError(err);
      const c = codeOf(err);
      // These need a new request; a wrong code or a pending approval keeps this one.
      if (c === 'YEYAK_E_CHALLENGE_NOT_FOUND' || c === 'YEYAK_E_CHALLENGE_LOCKED') setChallenge(null);
      if (c === 'YEYAK_E_IDENTITY_UNAVAILABLE') reloadMethods();
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <Title>{t.verify.title}</Title>
      <p>{t.verify.intro}</p>
      <form onSubmit={send} noValidate>
        <Methods methods={methods} error={methodsError} chosen={method} onChoose={setMethod} invalid={!!fieldErrors.method} />
        <label for="name">{t.verify.name}</label>
        <input
          id="name"
          data-testid="name"
          autocomplete="name"
          maxLength={40}
          value={person.name}
          aria-invalid={fieldErrors.name ? 'true' : undefined}
          aria-describedby={fieldErrors.name ? 'name-error' : undefined}
          onInput={(e) => setPerson({ ...person, name: e.currentTarget.value })}
        />
        {fieldErrors.name && <p id="name-error" class="field-error">{t.verify.nameMissing}</p>}
        <RrnField person={person} errors={fieldErrors} onChange={setPerson} />
        <label for="phone">{t.verify.phone}</label>
        <input
          id="phone"
          data-testid="phone"
          type="tel"
          inputMode="tel"
          autocomplete="tel-national"
          maxLength={13}
          value={person.phone}
          aria-invalid={fieldErrors.phone ? 'true' : undefined}
          aria-describedby={fieldErrors.phone ? 'phone-hint phone-error' : 'phone-hint'}
          onInput={(e) => setPerson({ ...person, phone: e.currentTarget.value })}
        />
        <p id="phone-hint" class="hint">{t.verify.phoneHint}</p>
        {fieldErrors.phone && <p id="phone-error" class="field-error">{t.verify.phoneBad}</p>}
        {Object.keys(fieldErrors).length > 0 && <p class="field-error" role="alert">{t.verify.fixFields}</p>}
        <button type="submit" class="big" data-testid="send-code" disabled={busy !== null}>
          {busy === 'send' ? t.verify.sending : challenge ? t.verify.sendAgain : t.verify.sendCode}
        </button>
      </form>
      {challenge && (
        <form onSubmit={verify} noValidate class="step">
          <p role="status">{sentText(challenge)}</p>
          <label for="code">{codeLabel(challenge.style)}</label>
          <input
            id="code"
            ref={codeRef}
            data-testid="code"
            inputMode="numeric"
            autocomplete="one-time-code"
            pattern="[0-9]*"
            maxLength={6}
            value={code}
            aria-invalid={codeError ? 'true' : undefined}
            aria-describedby={codeError ? 'code-error' : undefined}
            onInput={(e) => setCode(e.currentTarget.value.replace(/[^0-9]/g, ''))}
          />
          {codeError && <p id="code-error" class="field-error">{t.verify.codeBad}</p>}
          <button type="submit" class="big" data-testid="verify" disabled={busy !== null}>
            {busy === 'verify' ? t.verify.verifying : t.verify.verify}
          </button>
        </form>
      )}
      <Problem error={error} />
    </>
  );
}

function sentText(c: Challenge): string {
  const t = useT();
  const until = instant(c.expiresAt);
  return c.style === 'otp' ? t.verify.sentOtp(until) : c.style === 'app' ? t.verify.sentApp(until) : t.verify.sentCert(until);
}

function codeLabel(style: Method['style']): string {
  const t = useT();
  return style === 'otp' ? t.verify.codeOtp : style === 'app' ? t.verify.codeApp : t.verify.codeCert;
}

function Methods(props: { methods: Method[] | null; error: unknown; chosen: string | null; onChoose(m: string): void; invalid: boolean }) {
  const t = useT();
  const { methods } = props;
  return (
    <fieldset class="methods" aria-describedby={props.invalid ? 'method-error' : undefined}>
      <legend>{t.verify.methodsLegend}</legend>
      {!methods && (props.error ? <Problem error={props.error} /> : <Loading text={t.verify.methodsLoading} />)}
      {methods?.map((m) => {
        const id = `method-${m.method}`;
        const bad = m.light === 'red' || m.light === 'grey' || !m.available;
        const alt = bad ? suggestion(methods, m.method) : undefined;
        return (
          <div key={m.method} class={`method light-${m.available ? m.light : 'grey'}${props.chosen === m.method ? ' chosen' : ''}`}>
            <input
              type="radio"
              name="method"
              id={id}
              data-testid={id}
              value={m.method}
              checked={props.chosen === m.method}
              disabled={!usable(m)}
              aria-describedby={`${id}-state`}
              onChange={() => props.onChoose(m.method)}
            />
            <label for={id}>{labelOf(m)}</label>
            <p id={`${id}-state`} class="light">
              <span class="dot" aria-hidden="true" />
              {t.verify.lightSays(t.verify.lights[m.available ? m.light : 'grey'])}
              {bad && <span class="light-why"> {m.light === 'red' ? t.verify.redSays : t.verify.greySays}</span>}
              {alt && <span class="light-why"> {t.verify.suggest(labelOf(alt))}</span>}
            </p>
            {bad && alt && props.chosen === m.method && (
              <button type="button" class="secondary small" onClick={() => props.onChoose(alt.method)}>
                {t.verify.useSuggested(labelOf(alt))}
              </button>
            )}
          </div>
        );
      })}
      {props.invalid && <p id="method-error" class="field-error">{t.verify.methodMissing}</p>}
    </fieldset>
  );
}
