/**
 * The citizen pages (`/`): landing → verify → eligibility → (waiting room, /wait/) → booking →
 * receipt, and "My booking". Hash routes (router.ts); every string from web/i18n.
 */
import { render } from 'preact';
import '../shared/base.css';
import './citizen.css';
import { lang, TopBar } from '../shared/ui.tsx';
import { route } from './router.ts';
import { useCommon, useT } from './parts.tsx';
import { Landing } from './landing.tsx';
import { Verify } from './verify.tsx';
import { Eligibility } from './eligibility.tsx';
import { Book } from './book.tsx';
import { Receipt } from './receipt.tsx';
import { My } from './my.tsx';

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
  }
}

function App() {
  const t = useT();
  document.title = `${t.titles[route.value.page]} · ${useCommon().appName}`;
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
        </nav>
      </footer>
    </>
  );
}

render(<App />, document.getElementById('app')!);
