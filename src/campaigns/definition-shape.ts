/**
 * Every shape problem of a body, against the route's own JSON schema. The app's validator stops
 * at the first error (ajv allErrors off, as every route wants); an operator editing a campaign
 * wants the whole list at once. This walks the subset of JSON schema the definition uses — types,
 * nullable, required, additionalProperties false, items, sizes, bounds, pattern and the free-text
 * format — so the OpenAPI document and this check are one text.
 */
import { isPlainText, TEXT_FORMAT } from '../core/schemas.ts';

/** One problem of a definition: where (a JSON pointer into the body), a stable code, and words. */
export interface DefinitionProblem {
  readonly path: string;
  readonly code: string;
  readonly message: string;
  readonly messageKo: string;
}

export function definitionProblem(path: string, code: string, message: string, messageKo: string): DefinitionProblem {
  return { path, code, message, messageKo };
}

interface Schema {
  readonly type?: string;
  readonly nullable?: boolean;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: boolean;
  readonly items?: Schema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly enum?: readonly unknown[];
}

/** Problems listed at most (a body of 10,000 wrong windows answers with the first of them). */
const SHAPE_PROBLEMS_MAX = 200;

/** Every place where `value` does not fit `schema` (empty: it fits). */
export function checkShape(schema: object, value: unknown): DefinitionProblem[] {
  const out: DefinitionProblem[] = [];
  walk(schema as Schema, value, '', out);
  return out.slice(0, SHAPE_PROBLEMS_MAX);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function walk(schema: Schema, value: unknown, path: string, out: DefinitionProblem[]): void {
  if (out.length >= SHAPE_PROBLEMS_MAX) return;
  const at = path || '/';
  if (value === null && schema.nullable) return;
  const actual = typeOf(value);
  if (schema.type && actual !== schema.type && !(schema.type === 'number' && actual === 'integer')) {
    out.push(definitionProblem(at, 'TYPE', `Must be ${schema.nullable ? `${schema.type} or null` : schema.type}, not ${actual}.`, `${schema.type}${schema.nullable ? ' 또는 null' : ''} 값이어야 합니다.`));
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    out.push(definitionProblem(at, 'NOT_ALLOWED', `Must be one of ${schema.enum.join(', ')}.`, `${schema.enum.join(', ')} 중 하나여야 합니다.`));
  }
  if (actual === 'object') walkObject(schema, value as Record<string, unknown>, path, out);
  else if (actual === 'array') walkArray(schema, value as unknown[], path, out);
  else if (actual === 'string') checkString(schema, value as string, at, out);
  else if (actual === 'integer' || actual === 'number') checkNumber(schema, value as number, at, out);
}

function walkObject(schema: Schema, value: Record<string, unknown>, path: string, out: DefinitionProblem[]): void {
  for (const key of schema.required ?? []) {
    if (!(key in value)) out.push(definitionProblem(`${path}/${key}`, 'REQUIRED', 'Required.', '필수 항목입니다.'));
  }
  for (const [key, v] of Object.entries(value)) {
    const child = schema.properties?.[key];
    if (child) walk(child, v, `${path}/${escapePointer(key)}`, out);
    else if (schema.additionalProperties === false) {
      out.push(definitionProblem(`${path}/${escapePointer(key).slice(0, 64)}`, 'UNKNOWN_FIELD', 'Not a field of the definition.', '설정에 없는 항목입니다.'));
    }
  }
}

function walkArray(schema: Schema, value: unknown[], path: string, out: DefinitionProblem[]): void {
  const at = path || '/';
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    out.push(definitionProblem(at, 'TOO_FEW', `At least ${schema.minItems} item(s).`, `최소 ${schema.minItems}개가 필요합니다.`));
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    out.push(definitionProblem(at, 'TOO_MANY', `At most ${schema.maxItems} item(s).`, `최대 ${schema.maxItems}개까지입니다.`));
    return;
  }
  if (schema.items) value.forEach((v, i) => walk(schema.items as Schema, v, `${path}/${i}`, out));
}

function checkString(schema: Schema, value: string, at: string, out: DefinitionProblem[]): void {
  const length = [...value].length; // code points, as the app's validator counts them
  if (schema.minLength !== undefined && length < schema.minLength) {
    out.push(definitionProblem(at, 'TOO_SHORT', `At least ${schema.minLength} character(s).`, `최소 ${schema.minLength}자가 필요합니다.`));
  } else if (schema.maxLength !== undefined && length > schema.maxLength) {
    out.push(definitionProblem(at, 'TOO_LONG', `At most ${schema.maxLength} characters.`, `최대 ${schema.maxLength}자까지입니다.`));
  } else if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
    out.push(definitionProblem(at, 'PATTERN', `Does not have the expected form (${schema.pattern}).`, '형식이 올바르지 않습니다.'));
  } else if (schema.format === TEXT_FORMAT && !isPlainText(value)) {
    out.push(definitionProblem(at, 'TEXT_INVALID', 'One line of visible text: no control, bidi-override or zero-width characters.', '제어 문자나 보이지 않는 문자 없이 한 줄로 입력해 주세요.'));
  }
}

function checkNumber(schema: Schema, value: number, at: string, out: DefinitionProblem[]): void {
  if (schema.minimum !== undefined && value < schema.minimum) {
    out.push(definitionProblem(at, 'BELOW_MINIMUM', `At least ${schema.minimum}.`, `${schema.minimum} 이상이어야 합니다.`));
  } else if (schema.maximum !== undefined && value > schema.maximum) {
    out.push(definitionProblem(at, 'ABOVE_MAXIMUM', `At most ${schema.maximum}.`, `${schema.maximum} 이하여야 합니다.`));
  }
}

function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
