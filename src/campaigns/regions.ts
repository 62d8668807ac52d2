import type { Queryable } from '../core/db.ts';

/** Every 시/도 and 시/군/구 code the store knows: a region filter outside them is 404 REGION_NOT_FOUND. */
export async function loadRegionCodes(db: Queryable): Promise<ReadonlySet<string>> {
  const r = await db.query<{ code: string }>('SELECT code FROM region');
  return new Set(r.rows.map((row) => row.code));
}
