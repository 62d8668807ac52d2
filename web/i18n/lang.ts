/**
 * The page's language: Korean first; English by the toggle (kept in localStorage) or `?lang=en`.
 * Every page group imports only its own dictionaries, so the waiting page stays small.
 */
export type Lang = 'ko' | 'en';

const KEY = 'yeyak.lang';

export function currentLang(): Lang {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked === 'ko' || asked === 'en') {
    store(asked);
    return asked;
  }
  try {
    return localStorage.getItem(KEY) === 'en' ? 'en' : 'ko';
  } catch {
    return 'ko';
  }
}

export function setLang(lang: Lang): void {
  store(lang);
  document.documentElement.lang = lang;
}

function store(lang: Lang): void {
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    // private mode: the choice lasts for this page only
  }
}

/** Large text: a class on <html>, kept like the language. */
const LARGE = 'yeyak.large';
export function largeText(): boolean {
  try {
    return localStorage.getItem(LARGE) === '1';
  } catch {
    return false;
  }
}
export function setLargeText(on: boolean): void {
  document.documentElement.classList.toggle('large', on);
  try {
    localStorage.setItem(LARGE, on ? '1' : '0');
  } catch {
    // private mode
  }
}

/**
 * A plain page's language toggle (#lang) and large-text switch (#large), for the pages without a
 * framework (/wait/, /fairness/): applies the stored large-text choice, then tells `changed` each
 * new choice so the page keeps it and renders again.
 */
export function wireToggles(lang: Lang, large: boolean, changed: (lang: Lang, large: boolean) => void): void {
  setLargeText(large);
  document.getElementById('lang')?.addEventListener('click', () => {
    lang = lang === 'ko' ? 'en' : 'ko';
    setLang(lang);
    changed(lang, large);
  });
  document.getElementById('large')?.addEventListener('click', () => {
    large = !large;
    setLargeText(large);
    changed(lang, large);
  });
}
