/**
 * The public surface is a reviewed artefact too: the OpenAPI document (every route, its
 * parameters, bodies, answers and their schemas) and the route table are compared with
 * test/snapshots/openapi.json, so a restructuring that changes what clients see shows up as a
 * diff. After an intended change:
 * `UPDATE_OPENAPI_SNAPSHOT=1 npx vitest run test/http/openapi-snapshot.test.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const SNAPSHOT = join(import.meta.dirname, '..', 'snapshots', 'openapi.json');

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('the public surface', () => {
  it('matches test/snapshots/openapi.json (an API change is a reviewed diff)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const surface = {
      // The pages' hashed assets change with every page edit; test/pages checks those routes.
      // Sorted: the order of sibling routes follows the pages' build (a glob), not the code.
      routes: t.app.printRoutes({ commonPrefix: false }).split('\n').filter((line) => !/assets\//.test(line)).sort(),
      openapi: res.json() as unknown,
    };
    const text = `${JSON.stringify(surface, null, 1)}\n`;
    if (process.env.UPDATE_OPENAPI_SNAPSHOT === '1') writeFileSync(SNAPSHOT, text);
    expect(text).toBe(readFileSync(SNAPSHOT, 'utf8'));
  });
});
