/**
 * The definition's lists: booking windows, vaccine rules and days without a dose 2, one fieldset
 * per item (numbered, with its remove button), and an add button that copies the last item so
 * the usual case — the next day's window — is one change away. Removing moves the focus to the
 * list's heading; adding, to the new item's first field.
 */
import type { DefinitionVaccineRule, DefinitionWindow } from './api.ts';
import { DateField, DigitsField, fieldId, InstantField, IntField, problemsOf, SelectField, setAt, TextField, type Editor } from './fields.tsx';
import { t } from './words.ts';

function focusSoon(id: string): void {
  requestAnimationFrame(() => document.getElementById(id)?.focus());
}

/** The list at `key` without item `i`; the server's problems (their pointers) no longer apply. */
function remove(ed: Editor, key: 'windows' | 'vaccineRules' | 'blackouts', i: number): void {
  const list = [...(ed.draft.value[key] as unknown[])];
  list.splice(i, 1);
  setAt(ed, `/${key}`, list);
  ed.problems.value = new Map();
  focusSoon(fieldId(`/${key}`));
}

function add(ed: Editor, key: 'windows' | 'vaccineRules' | 'blackouts', item: unknown, first: string): void {
  const list = [...(ed.draft.value[key] as unknown[]), item];
  setAt(ed, `/${key}`, list);
  focusSoon(fieldId(`/${key}/${list.length - 1}/${first}`));
}

const nextSeq = (items: readonly { seq: number }[]) => items.reduce((m, x) => Math.max(m, x.seq), 0) + 1;

/** Problems about an item as a whole (its pointer is the item's). */
function ItemProblems({ ed, path }: { ed: Editor; path: string }) {
  const problems = problemsOf(ed, path);
  return problems.length ? <p class="field-error" id={`${fieldId(path)}-error`}>{problems.join(' ')}</p> : null;
}

function ListHeading({ ed, id, title, hint }: { ed: Editor; id: 'windows' | 'vaccineRules' | 'blackouts'; title: string; hint: string }) {
  const problems = problemsOf(ed, `/${id}`);
  return (
    <>
      <h3 id={fieldId(`/${id}`)} tabIndex={-1}>{title}</h3>
      <p class="hint">{hint}</p>
      {problems.length > 0 && <p class="field-error">{problems.join(' ')}</p>}
    </>
  );
}

export function Windows({ ed }: { ed: Editor }) {
  const w = t().definition;
  const items = ed.draft.value.windows;
  const blank = (): DefinitionWindow => {
    const last = items[items.length - 1];
    return last ? { ...structuredClone(last), seq: nextSeq(items) } : { seq: 1, labelKo: '', labelEn: '', opensAt: '', closesAt: '', birthDayDigits: null, birthYearFrom: null, birthYearTo: null };
  };
  return (
    <section class="list" aria-labelledby={fieldId('/windows')}>
      <ListHeading ed={ed} id="windows" title={w.windows} hint={w.windowsHint} />
      {items.map((_x, i) => {
        const p = `/windows/${i}`;
        return (
          <fieldset key={i} id={fieldId(p)} tabIndex={-1} class="item">
            <legend>{w.windowN(i + 1, items[i]!.labelKo || items[i]!.labelEn)}</legend>
            <ItemProblems ed={ed} path={p} />
            <div class="grid">
              <IntField ed={ed} path={`${p}/seq`} label={w.seq} min={1} max={10_000} class="narrow" />
              <TextField ed={ed} path={`${p}/labelKo`} label={w.labelKo} maxLength={100} lang="ko" />
              <TextField ed={ed} path={`${p}/labelEn`} label={w.labelEn} maxLength={100} lang="en" />
              <InstantField ed={ed} path={`${p}/opensAt`} label={w.opensAt} />
              <InstantField ed={ed} path={`${p}/closesAt`} label={w.closesAt} />
              <DigitsField ed={ed} path={`${p}/birthDayDigits`} label={w.birthDayDigits} hint={w.birthDayDigitsHint} badWords={w.birthDayDigitsBad} />
              <IntField ed={ed} path={`${p}/birthYearFrom`} label={w.birthYearFrom} hint={w.emptyIsAny} min={1870} max={2100} />
              <IntField ed={ed} path={`${p}/birthYearTo`} label={w.birthYearTo} hint={w.emptyIsAny} min={1870} max={2100} />
            </div>
            <button type="button" class="secondary small" onClick={() => remove(ed, 'windows', i)}>{w.removeWindow(i + 1)}</button>
          </fieldset>
        );
      })}
      <button type="button" class="secondary" onClick={() => add(ed, 'windows', blank(), 'seq')}>{w.addWindow}</button>
    </section>
  );
}

export function VaccineRules({ ed, sidoOptions }: { ed: Editor; sidoOptions: { value: string; label: string }[] }) {
  const w = t().definition;
  const items = ed.draft.value.vaccineRules;
  const vaccines = [...new Set(items.map((r) => r.vaccineId).filter(Boolean))];
  const blank = (): DefinitionVaccineRule => ({ seq: nextSeq(items), sidoCode: null, dayFrom: null, dayTo: null, vaccineId: items[items.length - 1]?.vaccineId ?? '' });
  return (
    <section class="list" aria-labelledby={fieldId('/vaccineRules')}>
      <ListHeading ed={ed} id="vaccineRules" title={w.vaccineRules} hint={w.vaccineRulesHint} />
      <datalist id="vaccine-ids">{vaccines.map((v) => <option key={v} value={v} />)}</datalist>
      {items.map((_x, i) => {
        const p = `/vaccineRules/${i}`;
        return (
          <fieldset key={i} id={fieldId(p)} tabIndex={-1} class="item">
            <legend>{w.ruleN(i + 1)}</legend>
            <ItemProblems ed={ed} path={p} />
            <div class="grid">
              <IntField ed={ed} path={`${p}/seq`} label={w.seq} min={1} max={10_000} class="narrow" />
              <SelectField ed={ed} path={`${p}/sidoCode`} label={w.sido} options={sidoOptions} emptyLabel={w.everyRegion} />
              <DateField ed={ed} path={`${p}/dayFrom`} label={w.dayFrom} hint={w.emptyIsAny} nullable />
              <DateField ed={ed} path={`${p}/dayTo`} label={w.dayTo} hint={w.emptyIsAny} nullable />
              <VaccineField ed={ed} path={`${p}/vaccineId`} />
            </div>
            <button type="button" class="secondary small" onClick={() => remove(ed, 'vaccineRules', i)}>{w.removeRule(i + 1)}</button>
          </fieldset>
        );
      })}
      <button type="button" class="secondary" onClick={() => add(ed, 'vaccineRules', blank(), 'seq')}>{w.addRule}</button>
    </section>
  );
}

/** A vaccine id, with the ids the rules already name offered. */
function VaccineField({ ed, path }: { ed: Editor; path: string }) {
  const w = t().definition;
  return <TextField ed={ed} path={path} label={w.vaccine} maxLength={64} hint={w.vaccineHint} listId="vaccine-ids" />;
}

export function Blackouts({ ed }: { ed: Editor }) {
  const w = t().definition;
  const items = ed.draft.value.blackouts;
  return (
    <section class="list" aria-labelledby={fieldId('/blackouts')}>
      <ListHeading ed={ed} id="blackouts" title={w.blackouts} hint={w.blackoutsHint} />
      {items.map((_x, i) => {
        const p = `/blackouts/${i}`;
        return (
          <fieldset key={i} id={fieldId(p)} tabIndex={-1} class="item">
            <legend>{w.blackoutN(i + 1)}</legend>
            <ItemProblems ed={ed} path={p} />
            <div class="grid">
              <DateField ed={ed} path={`${p}/day`} label={w.day} />
              <TextField ed={ed} path={`${p}/label`} label={w.blackoutLabel} maxLength={100} />
            </div>
            <button type="button" class="secondary small" onClick={() => remove(ed, 'blackouts', i)}>{w.removeBlackout(i + 1)}</button>
          </fieldset>
        );
      })}
      <button type="button" class="secondary" onClick={() => add(ed, 'blackouts', { day: '', label: '' }, 'day')}>{w.addBlackout}</button>
    </section>
  );
}
