/** Small pieces every citizen page uses: the dictionaries, the heading, errors in plain words. */
import { Fragment, type ComponentChildren } from 'preact';
import type { ErrorCode } from '../../src/core/errors.ts';
import { ApiError } from '../shared/http.ts';
import { pick } from '../shared/ui.tsx';
import { citizen as ko } from '../i18n/ko/citizen.ts';
import { citizen as en } from '../i18n/en/citizen.ts';
import { errors as errorsKo } from '../i18n/ko/errors.ts';
import { errors as errorsEn } from '../i18n/en/errors.ts';
import { common as commonKo } from '../i18n/ko/common.ts';
import { common as commonEn } from '../i18n/en/common.ts';
import { instant } from './format.ts';

export const useT = () => pick({ ko, en });
export const useCommon = () => pick({ ko: commonKo, en: commonEn });

/** The page's one h1; focusable so a route change can move focus to it. */
export function Title(props: { children: ComponentChildren }) {
  return <h1 tabIndex={-1}>{props.children}</h1>;
}

export function codeOf(e: unknown): string | null {
  return e instanceof ApiError ? e.code : null;
}

/** An error in plain words: the catalogue's code through errors.ts, plus what its details add. */
export function errorWords(e: unknown): string[] {
  const words = pick({ ko: errorsKo, en: errorsEn }) as Record<string, string>;
  const t = useT();
  if (!(e instanceof ApiError)) return [useCommon().networkError];
  const out = [Object.hasOwn(words, e.code) ? (words[e.code] as string) : useCommon().networkError];
  const d = (e.details ?? {}) as { unlockAt?: unknown; retryAfterS?: unknown };
  if (typeof d.unlockAt === 'string') out.push(t.verify.unlockAt(instant(d.unlockAt)));
  else if (e.retryAfterS !== null) out.push(t.verify.retryAfter(e.retryAfterS));
  return out;
}

/** An error notice, announced when it appears. */
export function Problem(props: { error: unknown; children?: ComponentChildren }) {
  if (!props.error) return null;
  return (
    <div class="error" role="alert">
      {errorWords(props.error).map((line) => (
        <p key={line}>{line}</p>
      ))}
      {props.children}
    </div>
  );
}

/** A catalogue code in plain words, without an error object (a page that knows the answer). */
export function Refused(props: { code: ErrorCode; children?: ComponentChildren }) {
  return (
    <div class="error" role="alert">
      <p>{pick({ ko: errorsKo, en: errorsEn })[props.code]}</p>
      {props.children}
    </div>
  );
}

/** A label and its value; a row without a value is left out; `strong` for dates. */
export type Fact = [label: string, value: string | null | undefined, strong?: boolean];

/** Facts of a booking (to be made, or made) as one definition list. */
export function Facts(props: { rows: Fact[] }) {
  return (
    <dl class="summary">
      {props.rows
        .filter(([, value]) => value)
        .map(([label, value, strong]) => (
          <Fragment key={label}>
            <dt>{label}</dt>
            <dd class={strong ? 'strong' : undefined}>{value}</dd>
          </Fragment>
        ))}
    </dl>
  );
}

export function vaccineName(id: string): string {
  const names = useT().vaccines;
  return Object.hasOwn(names, id) ? (names[id] as string) : id;
}

export function Loading(props: { text?: string }) {
  return (
    <p class="muted" role="status">
      {props.text ?? useCommon().loading}
    </p>
  );
}
