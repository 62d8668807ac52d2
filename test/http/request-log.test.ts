/**
 * The request log (src/app/http.ts EdgeLogController): one line per request at its end, not
 * Fastify's two; the status poll — the path a million phones take every few seconds — logs 1 in
 * STATUS_LOG_EVERY of its successful answers, and every refusal whatever the route.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_LOG_EVERY } from '../../src/waiting-room/routes.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const CAMPAIGN = 'demo';

interface Line {
  level: number;
  msg: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
  sampled?: string;
}

const lines: Line[] = [];
const capture = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Line);
    done();
  },
});
const requestLines = (url: string) => lines.filter((l) => l.req?.url === url);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    clinics: 20,
    logger: { level: 'info', stream: capture },
    // The demo's waiting room switched on, anonymous joins (queue-first).
    beforeBuild: async (db) => {
      await db.query("UPDATE campaign SET queue_enabled = true, queue_order = 'queue-first' WHERE id = $1", [CAMPAIGN]);
    },
  });
});
afterAll(async () => {
  await t?.close();
});

describe('request log', () => {
  it('one line per request, at its end; status polls 1 in STATUS_LOG_EVERY; every refusal logged', async () => {
    const joinUrl = `/api/v1/campaigns/${CAMPAIGN}/queue`;
    const joined = await t.app.inject({ method: 'POST', url: joinUrl });
    expect(joined.statusCode, joined.body).toBe(201);
    expect(lines.some((l) => l.msg === 'incoming request')).toBe(false);
    expect(requestLines(joinUrl)).toEqual([expect.objectContaining({ msg: 'request completed', res: { statusCode: 201 } })]);
    expect(requestLines(joinUrl)[0]).not.toHaveProperty('sampled');

    const polls = 2 * STATUS_LOG_EVERY + 50;
    const headers = { authorization: `Bearer ${joined.json().ticket as string}` };
    for (let i = 0; i < polls; i++) {
      const r = await t.app.inject({ method: 'GET', url: '/api/v1/queue/status', headers });
      expect(r.statusCode).toBe(200);
    }
    const ok = requestLines('/api/v1/queue/status');
    expect(ok).toHaveLength(Math.ceil(polls / STATUS_LOG_EVERY));
    for (const l of ok) expect(l).toMatchObject({ res: { statusCode: 200 }, sampled: `1/${STATUS_LOG_EVERY}`, level: 30 });

    // Refusals on the sampled route: each one logged, unsampled.
    const refused = 7;
    for (let i = 0; i < refused; i++) {
      const r = await t.app.inject({ method: 'GET', url: '/api/v1/queue/status', headers: { authorization: `Bearer ${headers.authorization.slice(7, -2)}xx` } });
      expect(r.statusCode).toBeGreaterThanOrEqual(400);
    }
    const failed = requestLines('/api/v1/queue/status').filter((l) => (l.res?.statusCode ?? 0) >= 400);
    expect(failed).toHaveLength(refused);
    for (const l of failed) expect(l).not.toHaveProperty('sampled');
    // And a request no route matched.
    await t.app.inject({ method: 'GET', url: '/api/v1/no-such-thing' });
    expect(requestLines('/api/v1/no-such-thing')).toEqual([expect.objectContaining({ res: { statusCode: 404 } })]);
  });
});
