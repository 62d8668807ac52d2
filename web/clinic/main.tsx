/**
 * The clinic portal (/clinic/): clinic staff sign in with their token, see their clinic's day —
 * the list of doses to give with administered / no-show, leftover doses released for today, and
 * capacity per date and vaccine within the confirmed supply. Operators may open any clinic.
 */
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import '../shared/base.css';
import './clinic.css';
import { TopBar } from '../shared/ui.tsx';
import { Portal, PickClinic } from './portal.tsx';
import { resume, session, shownClinic, signOut } from './session.ts';
import { SignIn } from './signin.tsx';
import { t } from './words.ts';

function SignedIn() {
  const s = session.value;
  if (!s) return null;
  const w = t();
  return (
    <>
      <span class="who">{w.signedInAs(s.name, w.roles[s.role])}</span>
      <button type="button" data-testid="signout" onClick={() => void signOut()}>{w.signOut}</button>
    </>
  );
}

function Body() {
  const s = session.value;
  if (s === undefined) return <p role="status">{t().signIn.checking}</p>;
  if (s === null) return <SignIn />;
  const clinicId = shownClinic(s);
  return clinicId ? <Portal key={clinicId} clinicId={clinicId} /> : <PickClinic />;
}

function App() {
  useEffect(() => {
    void resume();
  }, []);
  useEffect(() => {
    document.title = `${t().title} · yeyak`;
  });
  return (
    <>
      <TopBar>
        <SignedIn />
      </TopBar>
      <main id="main" tabIndex={-1}>
        <Body />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
