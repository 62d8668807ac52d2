/**
 * A 500's log line never carries personal data: database errors leave db.ts as DbError (SQLSTATE,
 * constraint, table, a statement label — no parameters, row, `detail`, `where` or statement text),
 * and the logger's `err` serializer drops such fields from any error that escaped.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Db } from '../../src/core/db.ts';
import { DbError, serializeError, statementLabel, toDbError } from '../../src/core/db-errors.ts';
import { createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { openEmptyPglite } from '../helpers/pglite-copies.ts';

const MARKER = 'MARKER7Q홍길동';

describe('statementLabel: the verb and the first relation, never a value', () => {
  it.each([
    ['INSERT INTO identity_challenge (id, name) VALUES ($1, $2)', 'INSERT identity_challenge'],
    ["SELECT * FROM book_batch($1::jsonb) WHERE x = 'secret'", 'SELECT book_batch'],
    ['  update slot set remaining = remaining - 1 where id = $1', 'UPDATE slot'],
    ['WITH s AS (SELECT id FROM slot WHERE day = $1) UPDATE supply SET allocated = 1', 'WITH slot'],
    ["-- a comment 'secret'\nDELETE FROM outbox WHERE id = $1", 'DELETE outbox'],
    ["SELECT 'secret'::text", 'SELECT'],
    ['BEGIN', 'BEGIN'],
  ])('%s → %s', (sql, label) => {
    expect(statementLabel(sql)).toBe(label);
  });
});

/** The engines a DbError is made on: PGlite always, PostgreSQL when DATABASE_URL is set. */
const engines: { name: string; skip: boolean; open: () => Promise<{ db: Db; drop: () => Promise<void> }> }[] = [
  { name: 'PGlite', skip: false, open: async () => ({ db: await openEmptyPglite(), drop: async () => undefined }) },
  {
    name: 'PostgreSQL',
    skip: !process.env.DATABASE_URL,
    open: async () => {
      const database: TestDatabase = await createTestDatabase('yeyak_dberr');
      const db = await openPostgres(database.url);
      return { db, drop: async () => database.drop() };
    },
  },
];

describe.each(engines)('db.ts on $name: errors leave without values', (engine) => {
  let db: Db;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    if (engine.skip) return;
    ({ db, drop } = await engine.open());
    await db.query("CREATE TABLE person_t (id int PRIMARY KEY, name text NOT NULL CHECK (position('MARKER' in name) = 0))");
  });
  afterAll(async () => {
    if (engine.skip) return;
    await db.close();
    await drop();
  });

  /** Everything an error could show: its JSON, its own fields, its message and stack, its log form. */
  const everything = (e: unknown) => [JSON.stringify(e), JSON.stringify(serializeError(e)), String((e as Error).stack), String((e as Error).message)].join('\n');

  const cases: { name: string; run: (db: Db) => Promise<unknown>; code: string; constraint?: string; statement: string }[] = [
    { name: 'check violation (the row in detail)', run: (d) => d.query('INSERT INTO person_t (id, name) VALUES ($1, $2)', [1, MARKER]), code: '23514', constraint: 'person_t_name_check', statement: 'INSERT person_t' },
    { name: 'invalid input (the value in the message)', run: (d) => d.query('SELECT $1::int AS n', [MARKER]), code: '22P02', statement: 'SELECT' },
    { name: 'NUL in a text parameter', run: (d) => d.query('INSERT INTO person_t (id, name) VALUES ($1, $2)', [2, `a\u0000${MARKER}`]), code: '22021', statement: 'INSERT person_t' },
    {
      name: 'unique violation inside a transaction (the key in detail)',
      run: (d) =>
        d.transaction(async (tx) => {
          await tx.query('INSERT INTO person_t (id, name) VALUES ($1, $2)', [10, 'ok']);
          await tx.query('INSERT INTO person_t (id, name) VALUES ($1, $2)', [10, 'again']);
        }),
      code: '23505',
      constraint: 'person_t_pkey',
      statement: 'INSERT person_t',
    },
  ];

  it.skipIf(engine.skip).each(cases)('$name → DbError $code, no marker anywhere', async (c) => {
    const e = await c.run(db).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(DbError);
    const err = e as DbError;
    expect(err.code).toBe(c.code);
    expect(err.statement).toBe(c.statement);
    if (c.constraint) expect(err.constraint).toBe(c.constraint);
    expect(err.cause).toBeUndefined();
    for (const field of ['detail', 'where', 'query', 'params', 'hint', 'internalQuery']) expect(err, field).not.toHaveProperty(field);
    const shown = everything(err);
    expect(shown).not.toContain('MARKER');
    expect(shown).not.toContain('홍길동');
    expect(shown).toContain(c.code);
  });

  it.skipIf(engine.skip)('a failed transaction left the table as it was (the sanitizer changes nothing but the error)', async () => {
    const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM person_t');
    expect(r.rows[0]?.n).toBe(0);
  });
});

describe('serializeError: the logger serializer', () => {
  it('a raw driver error that escaped db.ts is logged in its DbError form', () => {
    const raw = Object.assign(new Error(`invalid input syntax for type integer: "${MARKER}"`), {
      severity: 'ERROR',
      code: '22P02',
      detail: `Key (name)=(${MARKER})`,
      where: `unnamed portal parameter $1 = '${MARKER}'`,
      query: 'SELECT $1::int',
      params: [MARKER],
      table: 'person',
    });
    const logged = serializeError(raw);
    expect(JSON.stringify(logged)).not.toContain('MARKER');
    expect(logged).toMatchObject({ type: 'DbError', code: '22P02', table: 'person', statement: 'SELECT' });
  });

  it('value-carrying fields are dropped from any error, and from its causes', () => {
    const inner = Object.assign(new Error('inner'), { params: [MARKER], detail: MARKER });
    const outer = Object.assign(new Error('outer', { cause: inner }), { query: `SELECT '${MARKER}'`, code: 'X', command: { name: 'evalsha', args: [MARKER] } });
    const logged = serializeError(outer);
    expect(JSON.stringify(logged)).not.toContain('MARKER');
    expect(logged).toMatchObject({ type: 'Error', message: 'outer', code: 'X', cause: { message: 'inner' } });
  });

  it('a non-database error from a query keeps its code and message (the drivers write them without values)', () => {
    const e = toDbError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'SELECT 1');
    expect(e).toMatchObject({ code: 'ECONNREFUSED', statement: 'SELECT' });
    expect(e.message).toContain('ECONNREFUSED');
  });
});

describe('a 500 through a route: the log line names the SQLSTATE, never the personal data', () => {
  let t: TestApp;
  const lines: string[] = [];
  const rrn = syntheticRrn('1971-07-17', 424242);
  const phone = '010-9876-5432';

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    t = await createTestApp({
      // The app's own serializers must apply to whatever logger it is given.
      logger: { level: 'info', stream },
      // A bug stand-in: the person upsert of a verification fails on a constraint, carrying name,
      // phone, RRN hash (a challenge is a sealed token: starting one writes nothing).
      beforeBuild: async (db) => {
        await db.query("ALTER TABLE person ADD CONSTRAINT test_marker CHECK (position('MARKER' in name) = 0)");
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a verification that hits a database error → 500 YEYAK_E_INTERNAL; the log has 23514 and the statement, not the marker, phone or birth date', async () => {
    const start = await t.app.inject({ method: 'POST', url: '/api/v1/identity/challenges', payload: { method: 'phone', name: MARKER, rrn, phone } });
    expect(start.statusCode, start.body).toBe(201);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/identity/challenges/${start.json().challengeId}/verify`, payload: { code: '000000' } });
    expect(res.statusCode, res.body).toBe(500);
    expect(res.json()).toMatchObject({ error: { code: 'YEYAK_E_INTERNAL' } });
    expect(res.body).not.toContain('MARKER');
    const log = lines.join('');
    const errorLine = lines.find((l) => l.includes('unhandled error'));
    expect(errorLine, log).toBeDefined();
    expect(errorLine).toContain('23514');
    expect(errorLine).toContain('WITH resident_binding');
    expect(errorLine).toContain('test_marker');
    for (const secret of ['MARKER', '홍길동', '01098765432', '9876-5432', '1971-07-17', rrn, rrn.replace('-', '')]) {
      expect(log, secret).not.toContain(secret);
    }
  });
});
