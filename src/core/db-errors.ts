/**
 * Database errors without personal data. A driver's error carries the statement's parameters
 * (PGlite: `params`, `query`), the failing row (`detail`), the parameter's value (`where`, and the
 * message of e.g. 22P02 `invalid input syntax for type integer: "<value>"`). Every query's error is
 * replaced at the source (db.ts) by a DbError that keeps only names: SQLSTATE, constraint, table,
 * column, the server routine and a statement label. The original is not attached as `cause`.
 */
export class DbError extends Error {
  /** SQLSTATE (e.g. '23505'), or the driver's code for a connection error (e.g. 'ECONNREFUSED'). */
  readonly code: string | undefined;
  readonly severity: string | undefined;
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
  readonly routine: string | undefined;
  /** What ran, without values: its verb and first relation, e.g. 'INSERT identity_challenge'. */
  readonly statement: string;

  constructor(message: string, fields: Omit<DbError, keyof Error>) {
    super(message);
    this.name = 'DbError';
    this.code = fields.code;
    this.severity = fields.severity;
    this.constraint = fields.constraint;
    this.table = fields.table;
    this.column = fields.column;
    this.routine = fields.routine;
    this.statement = fields.statement;
  }
}

const LABEL_LENGTH_MAX = 80;
const MESSAGE_LENGTH_MAX = 200;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_.]{0,62}$/;

/** The statement's verb and its first relation or function: never a literal or a parameter. */
export function statementLabel(sql: string): string {
  const text = sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ').trim();
  const verb = /^[A-Za-z]+/.exec(text)?.[0]?.toUpperCase() ?? 'SQL';
  const target = /\b(?:from|into|update|join|table)\s+([A-Za-z_][A-Za-z0-9_.]*)/i.exec(text)?.[1];
  return (target ? `${verb} ${target}` : verb).slice(0, LABEL_LENGTH_MAX);
}

/** A server's error as pg and PGlite report it: a SQLSTATE and a severity. */
export function isServerDbError(e: unknown): e is Record<string, unknown> & Error {
  if (!(e instanceof Error)) return false;
  const r = e as unknown as Record<string, unknown>;
  return typeof r.code === 'string' && /^[0-9A-Z]{5}$/.test(r.code) && typeof r.severity === 'string';
}

const nameField = (v: unknown): string | undefined => (typeof v === 'string' && IDENTIFIER.test(v) ? v : undefined);

/**
 * The safe form of any error a query raised. A server error keeps names only; any other error (a
 * dropped connection, a pool timeout) keeps its code and its message, which the drivers write
 * without values.
 */
export function toDbError(e: unknown, sql: string): DbError {
  if (e instanceof DbError) return e;
  const statement = statementLabel(sql);
  const r = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
  const code = typeof r.code === 'string' ? r.code.slice(0, 32) : undefined;
  if (isServerDbError(e)) {
    const constraint = nameField(r.constraint);
    const message = `database error ${code} in ${statement}${constraint ? ` (constraint ${constraint})` : ''}`;
    return new DbError(message, {
      code,
      severity: nameField(r.severity),
      constraint,
      table: nameField(r.table),
      column: nameField(r.column),
      routine: nameField(r.routine),
      statement,
    });
  }
  const original = e instanceof Error ? `${e.name}: ${e.message}`.slice(0, MESSAGE_LENGTH_MAX) : 'non-error thrown';
  return new DbError(`database error in ${statement}: ${original}`, {
    code, severity: undefined, constraint: undefined, table: undefined, column: undefined, routine: undefined, statement,
  });
}

// SQLSTATEs of a server that is going away or not yet back: class 08 (connection exception),
// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or in
// recovery). Socket codes of a server that cannot be reached.
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123])$/;
const UNAVAILABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// What pg says, without a code, of a connection that died or could not be had in time.
const UNAVAILABLE_MESSAGE = /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection ended/;

/**
 * A query that failed because the database is restarting or out of reach (not because of what it
 * asked): the request may be sent again once it is back. The HTTP edge answers it 503
 * YEYAK_E_STORE_UNAVAILABLE instead of a 500.
 */
export function isStoreUnavailable(e: unknown): boolean {
  if (!(e instanceof DbError)) return false;
  if (e.code !== undefined) return UNAVAILABLE_SQLSTATE.test(e.code) || UNAVAILABLE_SOCKET.has(e.code);
  return UNAVAILABLE_MESSAGE.test(e.message);
}

/** Runs one statement; its failure is rethrown as a DbError. */
export async function sanitized<T>(sql: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw toDbError(e, sql);
  }
}

// Fields that may hold values on any error: a SQL driver's rows, parameters and statements, and
// ioredis's `command` ({name, args}: keys and script arguments).
const UNSAFE_ERROR_KEYS = new Set([
  'detail', 'where', 'query', 'params', 'parameters', 'values', 'queryOptions', 'internalQuery', 'hint', 'position', 'internalPosition',
  'command', 'args',
]);
const CAUSE_DEPTH_MAX = 3;

export type SerializedError = { type: string; message: string; stack: string; [key: string]: unknown };

/**
 * The logger's `err` serializer (app.ts): like pino's, but a raw driver error that escaped db.ts
 * is logged in its DbError form, and value-carrying fields are dropped from every error.
 */
export function serializeError(err: unknown, depth = 0): SerializedError {
  const e = isServerDbError(err) ? toDbError(err, typeof err.query === 'string' ? err.query : '') : err;
  if (!(e instanceof Error)) return { type: typeof e, message: String(e).slice(0, MESSAGE_LENGTH_MAX), stack: '' };
  const out: SerializedError = { type: e.constructor.name, message: e.message, stack: e.stack ?? '' };
  for (const [key, value] of Object.entries(e)) {
    if (!UNSAFE_ERROR_KEYS.has(key) && key !== 'cause' && typeof value !== 'function') out[key] = value;
  }
  if (e.cause !== undefined && depth < CAUSE_DEPTH_MAX) out.cause = serializeError(e.cause, depth + 1);
  return out;
}
