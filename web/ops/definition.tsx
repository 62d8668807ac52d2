/**
 * A campaign as data (GET / PUT /admin/campaigns/{id}): its name, cohort, booking windows,
 * vaccine rules, policy days and days without a dose 2. The server checks everything and lists
 * every problem with its JSON pointer; nothing is stored when one is found. Problems appear next
 * to their fields and in a summary at the top (links to the fields), which takes the focus.
 */
import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { nowMs } from '../shared/clock.ts';
import { ApiError } from '../shared/http.ts';
import { lang } from '../shared/ui.tsx';
import { api, type Definition, type FieldProblem, type Region } from './api.ts';
import { Blackouts, VaccineRules, Windows } from './definition-lists.tsx';
import { CohortFieldset } from './definition-cohort.tsx';
import { CheckField, DateField, fieldId, IntField, newEditor, TextField, type Editor } from './fields.tsx';
import { guarded } from './session.ts';
import { errorText, koreaTime, serverWords, t } from './words.ts';

interface Listed {
  path: string;
  text: string;
}

function problemsOfAnswer(e: unknown): FieldProblem[] | null {
  if (!(e instanceof ApiError)) return null;
  const errors = (e.details as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) ? (errors as FieldProblem[]) : null;
}

/** Each problem goes to the field its pointer names, or to the nearest enclosing one shown. */
function byPath(problems: FieldProblem[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const p of problems) m.set(p.path, [...(m.get(p.path) ?? []), serverWords(p)]);
  return m;
}

/** Where a pointer's link goes: its field if the page has one, else the nearest enclosing block. */
function targetOf(path: string): string {
  for (let p = path; p; p = p.slice(0, p.lastIndexOf('/'))) {
    if (document.getElementById(fieldId(p))) return fieldId(p);
  }
  return 'definition-heading';
}

function Summary({ items, summaryRef }: { items: Listed[]; summaryRef: { current: HTMLDivElement | null } }) {
  const w = t().definition;
  if (items.length === 0) return null;
  return (
    <div class="error-summary" ref={summaryRef} tabIndex={-1} role="alert" aria-labelledby="def-summary-heading" data-testid="definition-problems">
      <h3 id="def-summary-heading">{w.problemsHeading(items.length)}</h3>
      <p>{w.nothingSaved}</p>
      <ul>
        {items.map((p, i) => (
          <li key={i}>
            <a href={`#${targetOf(p.path)}`} onClick={(e) => {
              e.preventDefault();
              document.getElementById(targetOf(p.path))?.focus();
            }}>
              {p.path && <code>{p.path}</code>} {p.text}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Form({ campaignId, loaded, regions }: { campaignId: string; loaded: Definition; regions: Region[] }) {
  const w = t().definition;
  const ed = useRef<Editor>(newEditor(structuredClone(loaded))).current;
  const saved = useSignal(JSON.stringify(loaded));
  const listed = useSignal<Listed[]>([]);
  const status = useSignal('');
  const busy = useSignal(false);
  const summaryRef = useRef<HTMLDivElement>(null);
  const dirty = JSON.stringify(ed.draft.value) !== saved.value;

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (JSON.stringify(ed.draft.value) !== saved.value) e.preventDefault();
    };
    addEventListener('beforeunload', warn);
    return () => removeEventListener('beforeunload', warn);
  }, []);

  const show = (items: Listed[]) => {
    listed.value = items;
    requestAnimationFrame(() => summaryRef.current?.focus());
  };
  const reset = (d: Definition) => {
    ed.draft.value = structuredClone(d);
    saved.value = JSON.stringify(d);
    ed.problems.value = new Map();
    ed.local.value = new Map();
    ed.typed.value = new Map();
    listed.value = [];
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    status.value = '';
    if (ed.local.value.size > 0) {
      show([...ed.local.value].map(([path, text]) => ({ path, text })));
      return;
    }
    busy.value = true;
    try {
      const answer = await guarded(() => api.saveDefinition(campaignId, ed.draft.value));
      reset(answer);
      status.value = w.saved(koreaTime(nowMs()));
    } catch (err) {
      const problems = problemsOfAnswer(err);
      ed.problems.value = problems ? byPath(problems) : new Map();
      show(problems ? problems.map((p) => ({ path: p.path, text: serverWords(p) })) : [{ path: '', text: errorText(err) }]);
    } finally {
      busy.value = false;
    }
  };

  const sidoOptions = regions.filter((r) => r.level === 1).map((r) => ({ value: r.code, label: `${lang.value === 'en' ? r.nameEn : r.nameKo} (${r.code})` }));
  return (
    <form onSubmit={(e) => void submit(e)} noValidate class="definition" data-testid="definition-form">
      <Summary items={listed.value} summaryRef={summaryRef} />
      <fieldset>
        <legend>{w.basics}</legend>
        <div class="grid">
          <TextField ed={ed} path="/name/ko" label={w.nameKo} maxLength={200} lang="ko" />
          <TextField ed={ed} path="/name/en" label={w.nameEn} maxLength={200} lang="en" />
          <DateField ed={ed} path="/firstShotDay" label={w.firstShotDay} />
          <DateField ed={ed} path="/lastShotDay" label={w.lastShotDay} />
          <IntField ed={ed} path="/changeFreezeDays" label={w.changeFreezeDays} hint={w.changeFreezeHint} min={0} max={60} />
          <IntField ed={ed} path="/cancelUntilDays" label={w.cancelUntilDays} hint={w.cancelUntilHint} min={0} max={60} />
        </div>
      </fieldset>
      <fieldset>
        <legend>{w.cohort}</legend>
        <div class="grid">
          <DateField ed={ed} path="/birthFrom" label={w.birthFrom} hint={w.emptyIsAny} nullable />
          <DateField ed={ed} path="/birthTo" label={w.birthTo} hint={w.emptyIsAny} nullable />
          <CheckField ed={ed} path="/rosterRequired" label={w.rosterRequired} />
          <CheckField ed={ed} path="/proxyAllowed" label={w.proxyAllowed} />
        </div>
      </fieldset>
      <CohortFieldset ed={ed} />
      <Windows ed={ed} />
      <VaccineRules ed={ed} sidoOptions={sidoOptions} />
      <Blackouts ed={ed} />
      <div class="save-bar">
        <p role="status" class="result">{status.value || (dirty ? w.unsaved : '')}</p>
        <button type="submit" data-testid="definition-save" disabled={busy.value}>{busy.value ? w.saving : w.save}</button>
        <button type="button" class="secondary" disabled={!dirty || busy.value} onClick={() => reset(JSON.parse(saved.value) as Definition)}>{w.revert}</button>
      </div>
    </form>
  );
}

export function DefinitionEditor({ campaignId }: { campaignId: string }) {
  const w = t().definition;
  const loaded = useSignal<Definition | null>(null);
  const regions = useSignal<Region[]>([]);
  const error = useSignal<string | null>(null);
  useEffect(() => {
    loaded.value = null;
    error.value = null;
    guarded(() => api.definition(campaignId)).then((d) => (loaded.value = d), (e) => (error.value = errorText(e)));
    api.regions(campaignId).then((r) => (regions.value = r), () => undefined);
  }, [campaignId]);
  return (
    <section aria-labelledby="definition-heading">
      <h2 id="definition-heading" tabIndex={-1}>{w.heading}</h2>
      <p class="hint">{w.intro}</p>
      {error.value && <p class="error" role="alert">{error.value}</p>}
      {!loaded.value && !error.value && <p role="status">{w.loading}</p>}
      {loaded.value && <Form key={campaignId} campaignId={campaignId} loaded={loaded.value} regions={regions.value} />}
    </section>
  );
}
