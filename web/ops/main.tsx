/**
 * The operator console (/ops/): staff sign-in into the httpOnly session, a campaign picker, the
 * opening live (charts pushed by the server) beside the controls that steer the line, and the
 * campaign as data (definition editor, CSV uploads). The address keeps the campaign and the view
 * (`#c=<campaignId>&v=live|data`), so a reload or a shared link opens the same screen.
 */
import { render } from 'preact';
import { useSignal } from '@preact/signals';
import { useEffect, useMemo } from 'preact/hooks';
import '../shared/base.css';
import './ops.css';
import { StaffPage } from '../shared/staff-page.tsx';
import { lang } from '../shared/ui.tsx';
import { api, type CampaignSummary } from './api.ts';
import { Controls } from './controls.tsx';
import { CsvUpload } from './csv.tsx';
import { Dashboard } from './dashboard.tsx';
import { DefinitionEditor } from './definition.tsx';
import { LiveFeed } from './live.ts';
import { guarded, staff } from './session.ts';
import { NotOperator } from './signin.tsx';
import { lazyView } from './lazy.tsx';
import { errorText, t } from './words.ts';

type View = 'live' | 'data' | 'outbox' | 'supply' | 'reschedule';

// The views an operator opens now and then load when first opened: what opening night needs
// (the live feed and its controls) loads first and stays within its budget.
const OutboxPanel = lazyView(() => import('./outbox.tsx').then((m) => m.OutboxPanel));
const SupplyPanel = lazyView(() => import('./supply.tsx').then((m) => m.SupplyPanel));
const ReschedulePanel = lazyView(() => import('./reschedule.tsx').then((m) => m.ReschedulePanel));

function readHash(): { campaignId: string | null; view: View } {
  const p = new URLSearchParams(location.hash.slice(1));
  const c = p.get('c');
  return { campaignId: c && /^[A-Za-z0-9-]{1,64}$/.test(c) ? c : null, view: p.get('v') === 'data' ? 'data' : p.get('v') === 'outbox' ? 'outbox' : p.get('v') === 'supply' ? 'supply' : p.get('v') === 'reschedule' ? 'reschedule' : 'live' };
}

const hashOf = (campaignId: string, view: View) => `#c=${encodeURIComponent(campaignId)}&v=${view}`;

function useHash() {
  const at = useSignal(readHash());
  useEffect(() => {
    const changed = () => (at.value = readHash());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return at;
}

function Live({ campaign }: { campaign: CampaignSummary }) {
  const feed = useMemo(() => new LiveFeed(campaign.id), [campaign.id]);
  useEffect(() => {
    feed.start();
    return () => feed.stop();
  }, [feed]);
  const name = campaign.name[lang.value];
  return (
    <div class="live-layout">
      <p class="jump"><a href="#controls-heading">{t().controls.jump}</a></p>
      <Dashboard feed={feed} />
      <Controls feed={feed} campaignId={campaign.id} campaignName={name} />
    </div>
  );
}

function Data({ campaign }: { campaign: CampaignSummary }) {
  return (
    <div class="data-layout">
      <DefinitionEditor campaignId={campaign.id} />
      <CsvUpload campaignId={campaign.id} />
    </div>
  );
}

function Console() {
  const w = t();
  const campaigns = useSignal<CampaignSummary[] | null>(null);
  const error = useSignal<string | null>(null);
  const at = useHash();
  useEffect(() => {
    guarded(() => api.campaigns()).then((list) => (campaigns.value = list), (e) => (error.value = errorText(e)));
  }, []);

  const list = campaigns.value;
  if (error.value) return <><h1>{w.title}</h1><p class="error" role="alert">{error.value}</p></>;
  if (!list) return <><h1>{w.title}</h1><p role="status">{w.loading}</p></>;
  if (list.length === 0) return <><h1>{w.title}</h1><p>{w.noCampaigns}</p></>;
  const { view } = at.value;
  const campaign = list.find((c) => c.id === at.value.campaignId) ?? list[0]!;
  const go = (id: string, v: View) => {
    location.hash = hashOf(id, v);
  };
  return (
    <>
      <div class="console-head">
        <h1>{w.titleFor(campaign.name[lang.value])}</h1>
        <div class="picker">
          <label for="campaign">{w.campaign}</label>
          <select id="campaign" data-testid="campaign" value={campaign.id} onChange={(e) => go((e.target as HTMLSelectElement).value, view)}>
            {list.map((c) => <option key={c.id} value={c.id}>{c.name[lang.value]} ({c.id})</option>)}
          </select>
        </div>
      </div>
      <nav aria-label={w.views} class="views">
        <a href={hashOf(campaign.id, 'live')} aria-current={view === 'live' ? 'page' : undefined} data-testid="view-live">{w.viewLive}</a>
        <a href={hashOf(campaign.id, 'data')} aria-current={view === 'data' ? 'page' : undefined} data-testid="view-data">{w.viewData}</a>
        <a href={hashOf(campaign.id, 'outbox')} aria-current={view === 'outbox' ? 'page' : undefined} data-testid="view-outbox">{w.viewOutbox}</a>
        <a href={hashOf(campaign.id, 'supply')} aria-current={view === 'supply' ? 'page' : undefined} data-testid="view-supply">{w.viewSupply}</a>
        <a href={hashOf(campaign.id, 'reschedule')} aria-current={view === 'reschedule' ? 'page' : undefined} data-testid="view-reschedule">{w.viewReschedule}</a>
      </nav>
      {view === 'reschedule' ? <ReschedulePanel key={campaign.id} campaignId={campaign.id} /> : view === 'supply' ? <SupplyPanel key={campaign.id} campaignId={campaign.id} /> : view === 'outbox' ? <OutboxPanel /> : view === 'live' ? <Live key={campaign.id} campaign={campaign} /> : <Data key={campaign.id} campaign={campaign} />}
    </>
  );
}

// A component, so the words follow the language toggle (t() reads the language signal).
function App() {
  return (
    <StaffPage staff={staff} words={t()} errorText={errorText}>
      {(s) => (s.role === 'operator' ? <Console /> : <NotOperator />)}
    </StaffPage>
  );
}

render(<App />, document.getElementById('app')!);
