/**
 * The definition editor's fields. Each field is named by its JSON pointer into the body
 * ("/windows/2/closesAt"): the same pointer the server's problems carry, so a problem is shown
 * next to its field (and the field is aria-invalid, described by it). Instants keep the offset
 * they came with (the campaign's zone); a field the page can check itself (a list of digits) is
 * checked here before anything is sent.
 */
import { signal, type Signal } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import type { Definition } from './api.ts';

export interface Editor {
  draft: Signal<Definition>;
  /** The server's problems by pointer, in the page's language. */
  problems: Signal<Map<string, string[]>>;
  /** Problems the page found itself (not sent until fixed). */
  local: Signal<Map<string, string>>;
  /** What the operator typed in fields whose text is not the value (digits lists). */
  typed: Signal<Map<string, string>>;
}

export function newEditor(d: Definition): Editor {
  return { draft: signal(d), problems: signal(new Map()), local: signal(new Map()), typed: signal(new Map()) };
}

export function fieldId(path: string): string {
  return `def${path.replace(/\//g, '-')}`;
}

function keysOf(path: string): string[] {
  return path.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function valueAt(d: unknown, path: string): unknown {
  let at: unknown = d;
  for (const k of keysOf(path)) at = at === null || at === undefined ? undefined : (at as Record<string, unknown>)[k];
  return at;
}

/** A copy of the draft with one value replaced. */
export function setAt(ed: Editor, path: string, value: unknown): void {
  const d = structuredClone(ed.draft.value) as unknown as Record<string, unknown>;
  const keys = keysOf(path);
  let at: Record<string, unknown> = d;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys[keys.length - 1]!] = value;
  ed.draft.value = d as unknown as Definition;
}

/** The problems shown for a field: the page's own first, then the server's. */
export function problemsOf(ed: Editor, path: string): string[] {
  const own = ed.local.value.get(path);
  return [...(own ? [own] : []), ...(ed.problems.value.get(path) ?? [])];
}

interface FieldProps {
  ed: Editor;
  path: string;
  label: string;
  hint?: string;
  class?: string;
}

/** Label, the control, its hint and its problems; the control gets id, aria-invalid and aria-describedby. */
function Field(props: FieldProps & { control: (a: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ComponentChildren }) {
  const id = fieldId(props.path);
  const problems = problemsOf(props.ed, props.path);
  const described = [props.hint ? `${id}-hint` : '', problems.length ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field ${props.class ?? ''}`}>
      <label for={id}>{props.label}</label>
      {props.control({ id, 'aria-invalid': problems.length ? true : undefined, 'aria-describedby': described || undefined })}
      {props.hint && <p id={`${id}-hint`} class="hint">{props.hint}</p>}
      {problems.length > 0 && (
        <p id={`${id}-error`} class="field-error">
          {problems.map((p, i) => <span key={i}>{p} </span>)}
        </p>
      )}
    </div>
  );
}

const inputValue = (e: Event) => (e.target as HTMLInputElement).value;

export function TextField(props: FieldProps & { maxLength: number; lang?: string; listId?: string }) {
  const v = valueAt(props.ed.draft.value, props.path);
  return (
    <Field {...props} control={(a) => (
      <input {...a} type="text" lang={props.lang} list={props.listId} maxLength={props.maxLength} value={typeof v === 'string' ? v : ''}
        onInput={(e) => setAt(props.ed, props.path, inputValue(e))} />
    )} />
  );
}

/** YYYY-MM-DD; empty is null where the field allows it (else '' goes, and the server says so). */
export function DateField(props: FieldProps & { nullable?: boolean }) {
  const v = valueAt(props.ed.draft.value, props.path);
  return (
    <Field {...props} control={(a) => (
      <input {...a} type="date" value={typeof v === 'string' ? v : ''}
        onInput={(e) => setAt(props.ed, props.path, inputValue(e) === '' && props.nullable ? null : inputValue(e))} />
    )} />
  );
}

const OFFSET = /(Z|[+-]\d{2}:\d{2})$/;
/** Korea's offset, for an instant that came without one. */
const DEFAULT_OFFSET = '+09:00';

/** An instant shown as the campaign's local date and time; its offset is kept as it came. */
export function InstantField(props: FieldProps) {
  const v = valueAt(props.ed.draft.value, props.path);
  const text = typeof v === 'string' ? v : '';
  const offset = OFFSET.exec(text)?.[1] ?? DEFAULT_OFFSET;
  return (
    <Field {...props} control={(a) => (
      <input {...a} type="datetime-local" value={text.slice(0, 16)}
        onInput={(e) => setAt(props.ed, props.path, inputValue(e) ? `${inputValue(e).slice(0, 16)}:00${offset === 'Z' ? 'Z' : offset}` : '')} />
    )} />
  );
}

/** A whole number; empty is null (a field that needs a number is then refused by the server, at its pointer). */
export function IntField(props: FieldProps & { min?: number; max?: number }) {
  const v = valueAt(props.ed.draft.value, props.path);
  return (
    <Field {...props} control={(a) => (
      <input {...a} type="number" inputMode="numeric" step={1} min={props.min} max={props.max} value={typeof v === 'number' ? String(v) : ''}
        onInput={(e) => {
          const raw = inputValue(e).trim();
          setAt(props.ed, props.path, raw === '' || !Number.isFinite(Number(raw)) ? null : Number(raw));
        }} />
    )} />
  );
}

export function CheckField(props: Omit<FieldProps, 'hint'>) {
  const id = fieldId(props.path);
  const problems = problemsOf(props.ed, props.path);
  return (
    <div class="field check-field">
      <label class="check" for={id}>
        <input id={id} type="checkbox" checked={valueAt(props.ed.draft.value, props.path) === true}
          aria-invalid={problems.length ? true : undefined} aria-describedby={problems.length ? `${id}-error` : undefined}
          onChange={(e) => setAt(props.ed, props.path, (e.target as HTMLInputElement).checked)} />
        {props.label}
      </label>
      {problems.length > 0 && <p id={`${id}-error`} class="field-error">{problems.join(' ')}</p>}
    </div>
  );
}

/** Digits 0–9 ("9" or "1, 6"); empty is null (every day of birth). Checked as typed. */
export function DigitsField(props: FieldProps & { badWords: string }) {
  const { ed, path } = props;
  const v = valueAt(ed.draft.value, path);
  const shown = ed.typed.value.get(path) ?? (Array.isArray(v) ? v.join(', ') : '');
  const onInput = (e: Event) => {
    const raw = inputValue(e);
    const parts = raw.split(/[\s,]+/).filter(Boolean);
    const typed = new Map(ed.typed.value).set(path, raw);
    const local = new Map(ed.local.value);
    if (parts.every((p) => /^\d$/.test(p))) {
      local.delete(path);
      setAt(ed, path, parts.length ? [...new Set(parts.map(Number))].sort((a, b) => a - b) : null);
    } else local.set(path, props.badWords);
    ed.typed.value = typed;
    ed.local.value = local;
  };
  return <Field {...props} control={(a) => <input {...a} type="text" inputMode="numeric" value={shown} onInput={onInput} />} />;
}

export function SelectField(props: FieldProps & { options: { value: string; label: string }[]; emptyLabel: string }) {
  const v = valueAt(props.ed.draft.value, props.path);
  const current = typeof v === 'string' ? v : '';
  const options = current && !props.options.some((o) => o.value === current) ? [...props.options, { value: current, label: current }] : props.options;
  return (
    <Field {...props} control={(a) => (
      <select {...a} value={current} onChange={(e) => setAt(props.ed, props.path, (e.target as HTMLSelectElement).value || null)}>
        <option value="">{props.emptyLabel}</option>
        {options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
      </select>
    )} />
  );
}
