/**
 * Hash routes (docs: notes web9): `#/` landing, `#/verify`, `#/eligibility/<c>`, `#/book/<c>`,
 * `#/receipt/<bookingNumber>`, `#/my`, `#/leftovers`. A route change moves focus to the new page's heading, so
 * a screen reader hears where it landed and the keyboard starts at the top.
 */
import { signal } from '@preact/signals';

export type Route =
  | { page: 'landing' }
  | { page: 'verify' }
  | { page: 'eligibility'; campaignId: string }
  | { page: 'book'; campaignId: string }
  | { page: 'receipt'; bookingNumber: string }
  | { page: 'my' }
  | { page: 'leftovers' };

const ID = /^[A-Za-z0-9-]{1,64}$/;

export function parse(hash: string): Route {
  const [, name = '', arg = ''] = hash.replace(/^#/, '').split('/');
  const ok = ID.test(arg);
  switch (name) {
    case 'verify':
      return { page: 'verify' };
    case 'eligibility':
      return ok ? { page: 'eligibility', campaignId: arg } : { page: 'landing' };
    case 'book':
      return ok ? { page: 'book', campaignId: arg } : { page: 'landing' };
    case 'receipt':
      return ok ? { page: 'receipt', bookingNumber: arg } : { page: 'my' };
    case 'my':
      return { page: 'my' };
    case 'leftovers':
      return { page: 'leftovers' };
    default:
      return { page: 'landing' };
  }
}

export const route = signal<Route>(parse(location.hash));

addEventListener('hashchange', () => {
  route.value = parse(location.hash);
  scrollTo(0, 0);
  // After the new page renders: its h1 carries tabindex=-1.
  requestAnimationFrame(() => document.querySelector<HTMLElement>('main h1')?.focus());
});

/** To a route; `replace` for a move the page makes by itself, so Back does not bounce into it again. */
export function go(path: string, replace = false): void {
  if (location.hash === path) route.value = parse(path);
  else if (replace) location.replace(path);
  else location.hash = path;
}

/** Where to go after verification (e.g. back to `#/my`); kept for this tab only. */
const NEXT = 'yeyak.next';
export function setNext(path: string): void {
  try {
    sessionStorage.setItem(NEXT, path);
  } catch {
    // private mode: the flow goes on to eligibility
  }
}
export function takeNext(): string | null {
  try {
    const next = sessionStorage.getItem(NEXT);
    sessionStorage.removeItem(NEXT);
    return next;
  } catch {
    return null;
  }
}
