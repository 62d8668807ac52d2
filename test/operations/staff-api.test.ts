/**
 * Staff credentials while a server runs (issue #7): POST /api/v1/admin/staff (operators only) and
 * `yeyak staff add --server`, which goes through it instead of opening the server's store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../helpers/app.ts';
import { runCli } from '../helpers/cli.ts';
import { addStaff } from '../../src/staff/staff.ts';
import { addStaffThroughServer } from '../../src/staff/client.ts';

const API = '/api/v1';
const OPERATOR = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
let t: TestApp;
let clinicId: string;
let baseUrl: string;

beforeAll(async () => {
  t = await createTestApp({ clinics: 5 });
  const r = await t.db.query<{ id: string }>('SELECT id FROM clinic ORDER BY id LIMIT 1');
  clinicId = (r.rows[0] as { id: string }).id;
  baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await t?.close();
});

const post = (payload: unknown, headers: Record<string, string> = OPERATOR) => t.app.inject({ method: 'POST', url: `${API}/admin/staff`, headers, payload: payload as Record<string, unknown> });

describe('POST /api/v1/admin/staff', () => {
  it('an operator adds clinic staff; the token (shown once) is the new member’s credential', async () => {
    const res = await post({ role: 'clinic', clinicId, name: '보건소 접수' });
    expect(res.statusCode).toBe(201);
    const body = res.json() as { id: number; role: string; clinicId: string; name: string; token: string };
    expect(body).toMatchObject({ role: 'clinic', clinicId, name: '보건소 접수', token: expect.stringMatching(/^yks_/) });
    const stored = await t.db.query<{ token_hash: string }>('SELECT token_hash FROM staff WHERE id = $1', [body.id]);
    expect(stored.rows[0]?.token_hash).not.toContain(body.token);
    const own = await t.app.inject({ method: 'GET', url: `${API}/admin/clinics/${clinicId}/reservations`, headers: { authorization: `Bearer ${body.token}` } });
    expect(own.statusCode).toBe(200);
  });

  it('only operators: clinic staff and agents get 403, no credential 401', async () => {
    const { token: clinicToken } = await addStaff(t.db, { role: 'clinic', clinicId, name: 'clinic desk' }, t.clock.now());
    const { token: agentToken } = await addStaff(t.db, { role: 'agent', clinicId: null, name: 'call centre' }, t.clock.now());
    for (const token of [clinicToken, agentToken]) {
      const res = await post({ role: 'operator', name: 'me, promoted' }, { authorization: `Bearer ${token}` });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: { code: 'YEYAK_E_FORBIDDEN' } });
    }
    const anonymous = await post({ role: 'operator', name: 'anyone' }, {});
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ error: { code: 'YEYAK_E_ADMIN_UNAUTHENTICATED' } });
    const operators = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM staff WHERE name IN ('me, promoted', 'anyone')");
    expect(operators.rows[0]?.n).toBe(0);
  });

  it('bad input is a 4xx: clinic without its clinic, a clinic on another role, an unknown clinic, a control character', async () => {
    const cases: [unknown, number, string][] = [
      [{ role: 'clinic', name: 'no clinic' }, 400, 'YEYAK_E_VALIDATION'],
      [{ role: 'agent', clinicId, name: 'agent with a clinic' }, 400, 'YEYAK_E_VALIDATION'],
      [{ role: 'clinic', clinicId: 'NO-SUCH-CLINIC', name: 'ghost' }, 404, 'YEYAK_E_CLINIC_NOT_FOUND'],
      [{ role: 'operator', name: 'nul\u0000byte' }, 400, 'YEYAK_E_VALIDATION'],
      [{ role: 'root', name: 'x' }, 400, 'YEYAK_E_VALIDATION'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.json()).toMatchObject({ error: { code } });
    }
  });
});

describe('yeyak staff add --server', () => {
  it('adds the member through the running server, which accepts the printed token at once', async () => {
    const r = await runCli(['staff', 'add', '--server', baseUrl, '--role', 'agent', '--name', '콜센터 상담원'], { YEYAK_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const token = /token \(shown once; send as Authorization: Bearer …\): (\S+)/.exec(r.stdout)?.[1];
    expect(token).toMatch(/^yks_/);
    const res = await post({ role: 'operator', name: 'x' }, { authorization: `Bearer ${token as string}` });
    expect(res.statusCode).toBe(403); // an agent, known to the server (not 401)
  }, 60_000);

  it('a wrong operator token is refused with what to use', async () => {
    await expect(addStaffThroughServer(baseUrl, 'wrong-token-wrong-token-wrong', { role: 'agent', clinicId: null, name: 'x' })).rejects.toThrow(
      /answered 401 YEYAK_E_ADMIN_UNAUTHENTICATED.*admin token the server printed at start/,
    );
  });
});
