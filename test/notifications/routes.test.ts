/**
 * Issue #11 end to end on one app: a booking's notice is delivered by the worker through the file
 * provider (what the embedded demo shows), a notice that cannot be rendered is dead-lettered, and
 * the operator lists the outbox (phones masked, no payload) and retries dead letters.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, phoneOf, syntheticRrn, TEST_ADMIN_TOKEN, type TestApp } from '../helpers/app.ts';

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

describe('notices through the file provider, and the operator outbox API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yeyak-outbox-'));
  const file = join(dir, 'notices.jsonl');
  let t: TestApp;
  let bookingNumber = '';
  const rrn = syntheticRrn('1985-03-14', 7711);
  beforeAll(async () => {
    t = await createTestApp({ clinics: 3, config: { notifyProvider: 'file', notifyFile: file } });
    const token = await t.login(rrn, '김민준');
    const [clinic] = (await t.app.inject({ method: 'GET', url: '/api/v1/campaigns/demo/clinics' })).json() as { id: string }[];
    const dates = (await t.app.inject({ method: 'GET', url: `/api/v1/campaigns/demo/clinics/${clinic?.id}/dates` })).json() as { date: string; remaining: number }[];
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reservations',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'outbox-routes-1' },
      payload: { campaignId: 'demo', clinicId: clinic?.id, date: dates.find((d) => d.remaining > 0)?.date },
    });
    expect(res.statusCode, res.body).toBe(201);
    bookingNumber = res.json().bookingNumber as string;
    await t.db.query(`INSERT INTO outbox (created_at, topic, payload) VALUES (now(), 'test.no_template', '{"personId": 1}')`);
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the worker (off by default in tests) delivers the booking notice as one JSON line; the unknown topic is dead', async () => {
    expect(t.config.notifyIntervalMs).toBe(0);
    const pass = await t.app.yeyak.notifications.worker.runOnce();
    expect(pass).toMatchObject({ claimed: 2, sent: 1, dead: 1 });
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines).toHaveLength(1);
    const phone = phoneOf(rrn).replace(/\D/g, '');
    expect(lines[0]).toMatchObject({ topic: 'reservation.confirmed', to: `${phone.slice(0, 3)}-****-${phone.slice(-4)}`, lang: 'ko' });
    expect(lines[0]?.['key']).toMatch(/^yeyak-outbox-\d+$/);
    expect(lines[0]?.['text']).toContain(bookingNumber);
    expect(lines[0]?.['text']).toContain('김민준님');
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('yeyak_outbox_sent_total{provider="file",topic="reservation.confirmed"} 1');
    expect(metrics).toMatch(/yeyak_outbox_dead 1\n/);
  });

  it('GET /admin/outbox: counts per state and the dead letters, the phone masked and no payload', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/outbox' })).statusCode).toBe(401);
    // Staff of another role: 403 (operator only).
    const agent = await t.app.inject({ method: 'POST', url: '/api/v1/admin/staff', headers: admin, payload: { role: 'agent', name: '상담원' } });
    expect(agent.statusCode, agent.body).toBe(201);
    const asAgent = { authorization: `Bearer ${agent.json().token as string}` };
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/outbox', headers: asAgent })).json().error.code).toBe('YEYAK_E_FORBIDDEN');
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/admin/outbox/retry-dead', headers: asAgent })).statusCode).toBe(403);
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/outbox', headers: admin });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { counts: Record<string, number>; rows: Record<string, unknown>[] };
    expect(body.counts).toEqual({ pending: 0, sent: 1, dead: 1 });
    expect(body.rows).toEqual([expect.objectContaining({ topic: 'test.no_template', state: 'dead', attempts: 1, lastError: expect.stringMatching(/^NOTICE_TOPIC_UNKNOWN/) })]);
    const sent = (await t.app.inject({ method: 'GET', url: '/api/v1/admin/outbox?state=sent&limit=10', headers: admin })).json() as { rows: Record<string, unknown>[] };
    expect(sent.rows).toHaveLength(1);
    expect(sent.rows[0]?.['to']).toMatch(/^\d{3}-\*{4}-\d{4}$/);
    expect(JSON.stringify(sent)).not.toContain(bookingNumber); // no payload
    expect(JSON.stringify(sent)).not.toContain(phoneOf(rrn));
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/outbox?state=lost', headers: admin })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/outbox?limit=0', headers: admin })).statusCode).toBe(400);
  });

  it('retry: dead → pending (then sent by the worker, or dead again); 409 when not dead, 404 when missing; retry-dead takes all', async () => {
    const [dead] = (await t.app.inject({ method: 'GET', url: '/api/v1/admin/outbox', headers: admin })).json().rows as { id: number }[];
    const retry = (id: number | string) => t.app.inject({ method: 'POST', url: `/api/v1/admin/outbox/${id}/retry`, headers: admin });
    const first = await retry(dead?.id ?? 0);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ id: dead?.id, state: 'pending' });
    const again = await retry(dead?.id ?? 0);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'YEYAK_E_OUTBOX_NOT_DEAD', details: { state: 'pending' } });
    expect((await retry(987_654)).json().error.code).toBe('YEYAK_E_OUTBOX_NOT_FOUND');
    expect((await retry('abc')).statusCode).toBe(400);
    expect(await t.app.yeyak.notifications.worker.runOnce()).toMatchObject({ claimed: 1, dead: 1 }); // still no template
    const all = await t.app.inject({ method: 'POST', url: '/api/v1/admin/outbox/retry-dead', headers: admin });
    expect(all.json()).toEqual({ retried: 1 });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/outbox', headers: admin })).json().counts).toEqual({ pending: 1, sent: 1, dead: 0 });
  });
});
