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

/*
 * Field schemas several capabilities' routes share: written once here.
 */

/** A campaign, clinic or other record id in a path. */
export const idParam = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' } as const;

/** A calendar day, 'YYYY-MM-DD' (whether it exists is the route's check: rules/time.ts isRealDay). */
export const dateField = { type: 'string', minLength: 10, maxLength: 10, pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' } as const;

/** A Korean mobile number, with or without hyphens (010-1234-5678, 01012345678): the one phone rule. */
export const PHONE_PATTERN = '^01[016789]-?[0-9]{3,4}-?[0-9]{4}$';
export const phoneField = { type: 'string', minLength: 10, maxLength: 13, pattern: PHONE_PATTERN } as const;

/** A resident registration number as typed; parsed and hashed at once (rules/rrn.ts), never stored or logged in clear. */
export const rrnField = { type: 'string', minLength: 13, maxLength: 14, description: 'YYMMDD-GNNNNNN; never stored or logged in clear' } as const;

/** A person named by someone (themselves, a proxy or an agent): name, RRN, phone. */
export const namedPersonProperties = { name: textField(100), rrn: rrnField, phone: phoneField } as const;

/** The `params` schema of a route whose path parameters are all ids. */
export function idParams<const K extends string>(...names: K[]) {
  return {
    type: 'object',
    additionalProperties: false,
    required: names,
    properties: Object.fromEntries(names.map((n) => [n, idParam])) as { [P in K]: typeof idParam },
  } as const;
}

/** A client-chosen Idempotency-Key: 8–64 of [A-Za-z0-9_.:-] (checked in the handler: its absence is its own answer). */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,64}$/;
