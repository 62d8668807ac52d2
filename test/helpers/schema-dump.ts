/**
 * The migrated public schema as text, for comparisons (issue #8): `dumpSchema` is what
 * test/snapshots/schema.txt holds (sorted: nothing that varies per run); `dumpDefinitions` adds
 * what the snapshot leaves out — every function's whole definition, columns in table order,
 * identity columns, trigger definitions, sequences and comments — for comparing two stores.
 */
import type { Db } from '../../src/core/db.ts';

async function lines(db: Db, sql: string): Promise<string[]> {
  return (await db.query<{ line: string }>(sql)).rows.map((r) => r.line);
}

async function sectioned(db: Db, sections: [string, string][]): Promise<string> {
  const out: string[] = [];
  for (const [name, sql] of sections) out.push(`## ${name}`, ...(await lines(db, sql)), '');
  return out.join('\n');
}

/** The public schema as sorted text lines: names and definitions, nothing that varies per run. */
export function dumpSchema(db: Db): Promise<string> {
  return sectioned(db, [
    ['columns', `SELECT table_name || '.' || column_name || ' ' || data_type || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END
                   || coalesce(' DEFAULT ' || column_default, '') AS line
                 FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1`],
    ['constraints', `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS line
                     FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`],
    ['indexes', `SELECT indexdef AS line FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`],
    ['triggers', `SELECT tgrelid::regclass::text || ' ' || tgname AS line FROM pg_trigger
                  WHERE NOT tgisinternal AND tgrelid::regclass::text NOT LIKE 'pg_%' ORDER BY 1`],
    ['functions', `SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') → ' || pg_get_function_result(p.oid) AS line
                   FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1`],
  ]);
}

/** What the snapshot leaves out: whole function definitions (bodies included), column order, … */
export function dumpDefinitions(db: Db): Promise<string> {
  return sectioned(db, [
    ['function definitions', `SELECT pg_get_functiondef(p.oid) AS line FROM pg_proc p
                              WHERE p.pronamespace = 'public'::regnamespace
                              ORDER BY p.proname, pg_get_function_identity_arguments(p.oid)`],
    ['column order', `SELECT c.relname || ': ' || string_agg(a.attname || coalesce(' ' || nullif(a.attidentity::text, ''), ''), ', ' ORDER BY a.attnum) AS line
                      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' GROUP BY c.relname ORDER BY 1`],
    ['trigger definitions', `SELECT pg_get_triggerdef(t.oid) AS line FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                             WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace ORDER BY 1`],
    ['sequences', `SELECT sequencename || ' ' || data_type::text || ' start ' || start_value || ' by ' || increment_by
                     || ' ' || min_value || '..' || max_value || ' cache ' || cache_size || CASE WHEN cycle THEN ' cycle' ELSE '' END AS line
                   FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1`],
    ['comments', `SELECT c.relname || coalesce('.' || a.attname, '') || ': ' || d.description AS line
                  FROM pg_description d JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid
                  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
                  WHERE c.relnamespace = 'public'::regnamespace
                  UNION ALL
                  SELECT p.proname || '(): ' || d.description FROM pg_description d
                  JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND d.objoid = p.oid
                  WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1`],
  ]);
}
