import type { Plugin } from 'ajv';

/**
 * Free text (names, notices) is checked at the schema, before anything is stored or sent to a
 * provider: one ajv format, registered once on the app's validator (app.ts), used by every
 * free-text field through `textField(maxLength)`.
 */
export const TEXT_FORMAT = 'yeyak-text';

/**
 * Refused anywhere in free text:
 * - controls: C0 (including tab and newline), DEL and C1 (Cc) — a NUL breaks the database and
 *   the providers' wire formats;
 * - lone halves of a surrogate pair (Cs: in `u` mode only an unpaired half matches) — not text;
 * - format characters (Cf): bidi overrides, embeddings and isolates (U+202A–202E, U+2066–2069),
 *   marks (U+200E/F, U+061C), zero-width space and joiners (U+200B–200D), word joiner, BOM, soft
 *   hyphen — invisible, they make two names that look alike differ, or reorder what clinic staff
 *   read on their list;
 * - line and paragraph separators (Zl, Zp) and the noncharacters U+FFFE/U+FFFF.
 * Hangul, Latin (with accents), spaces (also U+3000), hyphens, apostrophes and dots pass.
 */
const FORBIDDEN_CHARACTER = /[\p{Cc}\p{Cs}\p{Cf}\p{Zl}\p{Zp}\uFFFE\uFFFF]/u;
const VISIBLE_CHARACTER = /\S/u;

/** True when `s` is one line of visible text with none of the characters above. */
export function isPlainText(s: string): boolean {
  return !FORBIDDEN_CHARACTER.test(s) && VISIBLE_CHARACTER.test(s);
}

/** A free-text field: 1..maxLength characters (code points) of plain text. */
export function textField(maxLength: number) {
  return {
    type: 'string',
    minLength: 1,
    maxLength,
    format: TEXT_FORMAT,
    description: 'one line of visible text: no control, bidi-override or zero-width characters, no lone surrogates',
  } as const;
}

/** The ajv plugin that registers TEXT_FORMAT (Fastify's `ajv.plugins`). */
export const textFormatPlugin: Plugin<unknown> = (ajv) => ajv.addFormat(TEXT_FORMAT, { type: 'string', validate: isPlainText });
