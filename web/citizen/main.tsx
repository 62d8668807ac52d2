/**
 * The citizen pages (`/`): landing → verify → eligibility → (waiting room, /wait/) → booking →
 * receipt, and "My booking". Hash routes (router.ts); every string from web/i18n.
 */
import { render } from 'preact';
import '../shared/base.css';
import './citizen.css';
import { lang, pick, TopBar } from '../shared/ui.tsx';
import { route } from './router.ts';
import { useCommon, useT } from './parts.tsx';
import { Landing } from './landing.tsx';
import { Verify } from './verify.tsx';
import { Eligibility } from './eligibility.tsx';
import { Book } from './book.tsx';
import { Receipt } from './receipt.tsx';
import { My } from './my.tsx';
import { Leftovers } from './leftovers.tsx';
import { leftovers as leftoversKo } from '../i18n/ko/leftovers.ts';
import { leftovers as leftoversEn } from '../i18n/en/leftovers.ts';

function Page() {
  const r = route.value;
  switch (r.page) {
    case 'landing':
      return <Landing />;
    case 'verify':
      return <Verify />;
    case 'eligibility':
      return <Eligibility key={r.campaignId} campaignId={r.campaignId} />;
    case 'book':
      return <Book key={r.campaignId} campaignId={r.campaignId} />;
    case 'receipt':
      return <Receipt key={r.bookingNumber} bookingNumber={r.bookingNumber} />;
    case 'my':
      return <My />;
    case 'leftovers':
      return <Leftovers />;
  }
}

function App() {
  const t = useT();
  const l = pick({ ko: leftoversKo, en: leftoversEn });
  const page = route.value.page;
  document.title = `${page === 'leftovers' ? l.title : t.titles[page]} · ${useCommon().appName}`;
  document.documentElement.lang = lang.value;
  return (
    <>
      <TopBar />
      <main id="main">
        <Page />
      </main>
      <footer class="foot">
        <nav aria-label={t.nav.label}>
          <a href="#/" aria-current={route.value.page === 'landing' ? 'page' : undefined}>{t.nav.home}</a>
          <a href="#/my" aria-current={route.value.page === 'my' ? 'page' : undefined}>{t.nav.my}</a>
          <a href="#/leftovers" aria-current={page === 'leftovers' ? 'page' : undefined}>{l.title}</a>
        </nav>
      </footer>
    </>
  );
}

render(<App />, document.getElementById('app')!);
