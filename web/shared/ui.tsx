/**
 * What the Preact pages share: the language and large-text signals, the top bar (language toggle,
 * large text, the sandbox banner) and the dictionary picker. The waiting page does not use this
 * file (no framework there).
 */
import { signal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { currentLang, largeText, setLang, setLargeText, type Lang } from '../i18n/lang.ts';
import { common as commonKo } from '../i18n/ko/common.ts';
import { common as commonEn } from '../i18n/en/common.ts';
import { sandboxInUse } from './http.ts';

export const lang = signal<Lang>(currentLang());
export const large = signal<boolean>(largeText());
const sandbox = signal(false);

/** The dictionary of the current language: `const t = useDict({ ko, en })`. */
export function pick<T>(dicts: { ko: T; en: T }): T {
  return dicts[lang.value];
}

export function toggleLang(): void {
  lang.value = lang.value === 'ko' ? 'en' : 'ko';
  setLang(lang.value);
}

export function TopBar(props: { children?: ComponentChildren }) {
  const c = pick({ ko: commonKo, en: commonEn });
  useEffect(() => {
    document.documentElement.lang = lang.value;
    setLargeText(large.value);
    void sandboxInUse().then((on) => (sandbox.value = on));
  }, []);
  return (
    <>
      <a class="skip" href="#main">{c.skipToContent}</a>
      {sandbox.value && <p class="sandbox" role="note">{c.sandbox}</p>}
      <header class="topbar">
        {props.children}
        <button type="button" aria-pressed={large.value} onClick={() => { large.value = !large.value; setLargeText(large.value); }}>
          {c.largeText}
        </button>
        <button type="button" lang={lang.value === 'ko' ? 'en' : 'ko'} aria-label={c.langToggleLabel} onClick={toggleLang}>
          {c.langToggle}
        </button>
      </header>
    </>
  );
}
