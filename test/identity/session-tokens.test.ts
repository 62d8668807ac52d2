/**
 * Session tokens are opaque (issue #7): the claims (person id, birth date, sex, device) are
 * sealed with AES-256-GCM, so a token that leaks tells nobody who it belongs to, and a token
 * changed anywhere — or made by anyone without the key — is no session.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, syntheticRrn, type TestApp } from '../helpers/app.ts';
import { SessionSigner, type Session } from '../../src/identity/session.ts';
import { DeviceIds } from '../../src/identity/devices.ts';

const API = '/api/v1';
const BIRTH = '1985-04-04';
const FACTS = { birthDate: BIRTH, sex: 'F' as const, foreignResident: false };
let t: TestApp;
let signer: SessionSigner;

beforeAll(async () => {
  t = await createTestApp();
  signer = new SessionSigner(t.config.sessionSecret, t.clock, t.config.sessionTtlMs);
});
afterAll(async () => {
  await t?.close();
});

/** Every reading of a token a curious holder would try: the text, and each part base64url-decoded. */
function readings(token: string): string[] {
  const parts = [token, ...token.split('.')];
  return [token, ...parts.map((p) => Buffer.from(p, 'base64url').toString('latin1')), ...parts.map((p) => Buffer.from(p, 'base64').toString('latin1'))];
}

const asSession = (v: Session | 'expired' | null): Session => {
  if (v === null || v === 'expired') throw new Error(`not a session: ${String(v)}`);
  return v;
};

describe('a session token carries no personal data in clear', () => {
  it('a real token from verification: neither the birth date, nor the sex, nor the person id can be read from it', async () => {
    const token = await t.login(syntheticRrn(BIRTH, 4401, 'F'));
    const session = asSession(signer.verify(token));
    expect(session.facts).toEqual(FACTS); // the claims are all there, for the server
    const pid = String(session.personId);
    for (const text of readings(token)) {
      for (const needle of [BIRTH, '850404', '19850404', '"bd"', '"sx"', '"pid"', `"pid":${pid}`, '"F"', 'pid', session.sid]) {
        expect(text.includes(needle), `${needle} readable in the token`).toBe(false);
      }
      expect(() => JSON.parse(text)).toThrow();
    }
    expect(token.length).toBeLessThanOrEqual(512);
  });

  it('each token has its own IV: the same claims twice give two unrelated tokens of one bounded length', () => {
    const device = signer.deviceIds.mint();
    const a = signer.issue(7, FACTS, device).token;
    const b = signer.issue(7, FACTS, device).token;
    expect(a).not.toBe(b);
    expect(a.slice(0, 20)).not.toBe(b.slice(0, 20));
    expect(a.length).toBe(b.length);
    // The largest claims still fit the limit the reader enforces.
    const big = signer.issue(Number.MAX_SAFE_INTEGER, { birthDate: '2000-12-31', sex: 'M', foreignResident: true }, device).token;
    expect(big.length).toBeLessThanOrEqual(512);
  });
});

describe('a token that is not ours is no session', () => {
  it('every single-bit change anywhere in the sealed part (IV, ciphertext, tag) → null', () => {
    const { token } = signer.issue(7, FACTS, signer.deviceIds.mint());
    const [prefix, body] = [token.slice(0, 3), token.slice(3)];
    const sealed = Buffer.from(body, 'base64url');
    for (let i = 0; i < sealed.length; i++) {
      const bent = Buffer.from(sealed);
      bent[i] = (bent[i] as number) ^ 0x01;
      expect(signer.verify(`${prefix}${bent.toString('base64url')}`), `byte ${i}`).toBeNull();
    }
    expect(asSession(signer.verify(token)).personId).toBe(7); // the untouched token still works
  });

  it('another key, truncation, garbage, oversize, and the old readable format signed with the real secret → null', () => {
    const { token } = signer.issue(7, FACTS, signer.deviceIds.mint());
    const other = new SessionSigner('another-secret-of-sufficient-length', t.clock, 60_000).issue(7, FACTS).token;
    // The format before issue #7: base64url(JSON) "." HMAC — it must not be accepted any more.
    const oldBody = Buffer.from(JSON.stringify({ v: 1, sid: 'x', pid: 7, bd: BIRTH, sx: 'F', fr: false, exp: t.clock.nowMs() + 60_000 })).toString('base64url');
    const oldSig = createHmac('sha256', t.config.sessionSecret).update('session.v1.').update(oldBody).digest('base64url');
    const forged = [
      other,
      token.slice(0, -1),
      token.slice(0, 30),
      token.slice(3),
      `s2.${token.slice(3)}`,
      `${token}A`,
      `${token}${'A'.repeat(600)}`,
      '',
      's1.',
      's1.AAAA',
      's1.!!!!',
      `s1.${'A'.repeat(60)}`,
      'not-a-session-token',
      `${oldBody}.${oldSig}`,
    ];
    for (const f of forged) expect(signer.verify(f), f.slice(0, 40)).toBeNull();
  });

  it('through the API: a bit flipped in a genuine token → 401 UNAUTHENTICATED', async () => {
    const token = await t.login(syntheticRrn(BIRTH, 4402, 'F'));
    const sealed = Buffer.from(token.slice(3), 'base64url');
    sealed[20] = (sealed[20] as number) ^ 0x80;
    const res = await t.app.inject({ method: 'GET', url: `${API}/campaigns/demo/eligibility`, headers: { authorization: `Bearer s1.${sealed.toString('base64url')}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('YEYAK_E_UNAUTHENTICATED');
  });

  it('expiry is still told apart: a sealed token past its expiry → "expired"', () => {
    const { token } = signer.issue(7, FACTS, new DeviceIds(t.config.sessionSecret).mint());
    const start = t.clock.nowMs();
    try {
      t.clock.advance(t.config.sessionTtlMs);
      expect(signer.verify(token)).toBe('expired');
    } finally {
      t.clock.set(start);
    }
  });
});
