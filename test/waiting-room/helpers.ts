/**
 * Shared by the waiting-room suites. korea-2021-08 runs verify-first (August 2021): only a
 * verified person joins. The suites about the line's mechanics — numbers, the opening shuffle,
 * durability, proof of work, two nodes — join anonymously by the thousand: they run on a
 * test-only variant of the same campaign in the queue-first order (July 2021), which is also the
 * order those mechanics serve in production for a campaign that chooses it.
 */
import type { Db } from '../../src/core/db.ts';
import type { TestApp } from '../helpers/app.ts';

export const CAMPAIGN = 'korea-2021-08';

/** beforeBuild: korea-2021-08 switched to the queue-first order (anonymous joins). */
export async function queueFirst(db: Db): Promise<void> {
  await db.query(`UPDATE campaign SET queue_order = 'queue-first' WHERE id = $1`, [CAMPAIGN]);
}

/**
 * Verifies a person through the sandbox on `device` (a genuine id the server minted, e.g. from a
 * join) or on the device the server derives for the test client; returns the session token. The
 * phone follows the RRN, so that each person is one identity.
 */
export async function loginOn(t: TestApp, rrn: string, device?: string): Promise<string> {
  const digits = rrn.replace(/\D/g, '');
  const phone = `010-${digits.slice(-8, -4)}-${digits.slice(-4)}`;
  const headers = device ? { 'yeyak-device': device } : {};
  const start = await t.app.inject({ method: 'POST', url: '/api/v1/identity/challenges', headers, payload: { method: 'phone', name: '테스트', rrn, phone } });
  if (start.statusCode !== 201) throw new Error(`challenge failed: ${start.body}`);
  const verify = await t.app.inject({ method: 'POST', url: `/api/v1/identity/challenges/${start.json().challengeId}/verify`, headers, payload: { code: '000000' } });
  if (verify.statusCode !== 200) throw new Error(`verify failed: ${verify.body}`);
  return verify.json().sessionToken as string;
}
