/**
 * The clinic portal (/clinic/): clinic staff sign in with their token, see their clinic's day —
 * the list of doses to give with administered / no-show, leftover doses released for today, and
 * capacity per date and vaccine within the confirmed supply. Operators may open any clinic. The
 * frame (top bar, sign-in, sign-out) is the staff pages' own (web/shared/staff-page.tsx).
 */
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import '../shared/base.css';
import './clinic.css';
import { StaffPage } from '../shared/staff-page.tsx';
import type { StaffSession } from '../shared/staff.ts';
import { Portal, PickClinic } from './portal.tsx';
import { refuseAgent, shownClinic, staff } from './session.ts';
import { errorText, t } from './words.ts';

function AgentRefused() {
  useEffect(() => {
    void refuseAgent();
  }, []);
  return null;
}

function Body({ s }: { s: StaffSession }) {
  if (s.role === 'agent') return <AgentRefused />;
  const clinicId = shownClinic(s);
  return clinicId ? <Portal key={clinicId} clinicId={clinicId} /> : <PickClinic />;
}

// A component, so the words follow the language toggle (t() reads the language signal).
function App() {
  return (
    <StaffPage staff={staff} words={t()} errorText={errorText}>
      {(s) => <Body s={s} />}
    </StaffPage>
  );
}

render(<App />, document.getElementById('app')!);
