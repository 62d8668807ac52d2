/**
 * The person's details on the verification form, checked in the page before sending (the server
 * checks again): the RRN as two fields, the back 7 digits a password field (hidden while typed,
 * shown on request), and a paste or fill of the whole number split into both.
 */
import { useState } from 'preact/hooks';
import { useT } from './parts.tsx';

export interface Person {
  name: string;
  rrnFront: string;
  rrnBack: string;
  phone: string;
}

export type PersonErrors = Partial<Record<'name' | 'rrnFront' | 'rrnBack' | 'phone' | 'method', true>>;

/** The server's phone rule (core/schemas.ts PHONE_PATTERN), on the digits. */
const PHONE = /^01[016789][0-9]{7,8}$/;

export function checkPerson(p: Person): PersonErrors {
  const errs: PersonErrors = {};
  if (p.name.trim() === '') errs.name = true;
  if (!/^[0-9]{6}$/.test(p.rrnFront)) errs.rrnFront = true;
  if (!/^[0-9]{7}$/.test(p.rrnBack)) errs.rrnBack = true;
  if (!PHONE.test(p.phone.replace(/[\s-]/g, ''))) errs.phone = true;
  return errs;
}

const digits = (s: string) => s.replace(/[^0-9]/g, '');

export function RrnField(props: { person: Person; errors: PersonErrors; onChange(p: Person): void }) {
  const t = useT();
  const { person, errors } = props;
  const [shown, setShown] = useState(false);
  const onFront = (value: string) => {
    const d = digits(value);
    // The whole number typed or pasted into the first field: the rest goes behind the mask.
    if (d.length > 6) props.onChange({ ...person, rrnFront: d.slice(0, 6), rrnBack: d.slice(6, 13) });
    else props.onChange({ ...person, rrnFront: d });
  };
  return (
    <fieldset class="rrn">
      <legend>{t.verify.rrnLegend}</legend>
      <div class="rrn-row">
        <div>
          <label for="rrn">{t.verify.rrnFront}</label>
          <input
            id="rrn"
            data-testid="rrn"
            inputMode="numeric"
            autocomplete="off"
            maxLength={14}
            value={person.rrnFront}
            aria-invalid={errors.rrnFront ? 'true' : undefined}
            aria-describedby={errors.rrnFront ? 'rrn-error' : undefined}
            onInput={(e) => onFront(e.currentTarget.value)}
          />
        </div>
        <span class="rrn-dash" aria-hidden="true">-</span>
        <div>
          <label for="rrn-back">{t.verify.rrnBack}</label>
          <input
            id="rrn-back"
            data-testid="rrn-back"
            {...({ type: shown ? 'text' : 'password' } as { type: 'text' })}
            inputMode="numeric"
            autocomplete="off"
            maxLength={7}
            value={person.rrnBack}
            aria-invalid={errors.rrnBack ? 'true' : undefined}
            aria-describedby={errors.rrnBack ? 'rrn-back-hint rrn-back-error' : 'rrn-back-hint'}
            onInput={(e) => props.onChange({ ...person, rrnBack: digits(e.currentTarget.value).slice(0, 7) })}
          />
        </div>
      </div>
      <p id="rrn-back-hint" class="hint">
        {t.verify.rrnBackHint}{' '}
        <button type="button" class="link" aria-pressed={shown} onClick={() => setShown(!shown)}>
          {t.verify.showBack}
        </button>
      </p>
      {errors.rrnFront && <p id="rrn-error" class="field-error">{t.verify.rrnFrontBad}</p>}
      {errors.rrnBack && <p id="rrn-back-error" class="field-error">{t.verify.rrnBackBad}</p>}
    </fieldset>
  );
}
