/**
 * core/seal.ts, the sealed-token primitive of citizen sessions (identity/session.ts) and staff
 * sign-in (staff/session.ts). Citizen tokens sealed by the code before it (issue #9 moved it
 * here) must still open: the same key derivation, additional data and format.
 */
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sealer } from '../../src/core/seal.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { SessionSigner } from '../../src/identity/session.ts';

const SECRET = randomBytes(32).toString('base64url');
const OPTIONS = { purpose: 'yeyak test token v1', prefix: 't1.', lengthMax: 512 } as const;

/** identity/session.ts's seal as it was before core/seal.ts. */
function sealAsBefore(secret: string, payload: unknown): string {
  const key = Buffer.from(hkdfSync('sha256', secret, 'yeyak', 'yeyak session token v1 aes-256-gcm', 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from('yeyak session token v1'));
  const sealed = Buffer.concat([iv, cipher.update(JSON.stringify(payload), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `s1.${sealed.toString('base64url')}`;
}

describe('Sealer', () => {
  it('opens what it sealed; refuses a flipped character, another secret, another purpose, a foreign or overlong string', () => {
    const sealer = new Sealer(SECRET, OPTIONS);
    const token = sealer.seal({ a: 1, b: '값' });
    expect(token.startsWith('t1.')).toBe(true);
    expect(sealer.open(token)).toEqual({ a: 1, b: '값' });
    expect(sealer.seal({ a: 1 })).not.toBe(sealer.seal({ a: 1 })); // a fresh IV each time
    const i = Math.floor(token.length / 2);
    const flipped = `${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`;
    for (const bad of [flipped, `${token}A`, 't1.', 't1.!!!!', 'x1.abc', `t1.${'A'.repeat(600)}`]) expect(sealer.open(bad), bad).toBeNull();
    expect(new Sealer(randomBytes(32).toString('base64url'), OPTIONS).open(token)).toBeNull();
    expect(new Sealer(SECRET, { ...OPTIONS, purpose: 'yeyak other token v1' }).open(token)).toBeNull();
  });

  it('a MAC per purpose, checked in constant time', () => {
    const sealer = new Sealer(SECRET, OPTIONS);
    const mac = sealer.mac('csrf.abc');
    expect(sealer.checkMac('csrf.abc', mac)).toBe(true);
    expect(sealer.checkMac('csrf.abd', mac)).toBe(false);
    expect(sealer.checkMac('csrf.abc', undefined)).toBe(false);
    expect(sealer.checkMac('csrf.abc', `${mac}x`)).toBe(false);
    expect(new Sealer(SECRET, { ...OPTIONS, purpose: 'yeyak other token v1' }).mac('csrf.abc')).not.toBe(mac);
  });

  it('citizen session tokens sealed before core/seal.ts still open (same key, additional data and format)', () => {
    const clock = new FakeClock('2026-11-26T12:00:00+09:00');
    const signer = new SessionSigner(SECRET, clock, 1_800_000);
    const payload = { v: 1, sid: 'sid-before', pid: 42, bd: '1961-06-06', sx: 'F', fr: false, exp: clock.nowMs() + 60_000 };
    expect(signer.verify(sealAsBefore(SECRET, payload))).toMatchObject({ sid: 'sid-before', personId: 42, facts: { birthDate: '1961-06-06', sex: 'F' } });
  });
});
