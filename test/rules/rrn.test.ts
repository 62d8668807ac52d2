import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashRrn, maskedRrnFromFacts, maskRrn, parseRrn } from '../../src/rules/rrn.ts';

describe('parseRrn: valid numbers', () => {
  const valid: Array<[raw: string, birthDate: string, sex: 'M' | 'F', foreign: boolean]> = [
    ['900829-1234567', '1990-08-29', 'M', false],
    ['9008292234567', '1990-08-29', 'F', false],
    ['  900829-1234567\n', '1990-08-29', 'M', false],
    ['050101-3000000', '2005-01-01', 'M', false],
    ['050101-4000000', '2005-01-01', 'F', false],
    ['900101-5123456', '1990-01-01', 'M', true],
    ['900101-6123456', '1990-01-01', 'F', true],
    ['100101-7123456', '2010-01-01', 'M', true],
    ['100101-8123456', '2010-01-01', 'F', true],
    ['991231-9123456', '1899-12-31', 'M', false],
    ['991231-0123456', '1899-12-31', 'F', false],
    // Leap days: 1996, 2000 (divisible by 400), 2004 and 1896 are leap years.
    ['960229-1234567', '1996-02-29', 'M', false],
    ['000229-3234567', '2000-02-29', 'M', false],
    ['040229-4234567', '2004-02-29', 'F', false],
    ['960229-9234567', '1896-02-29', 'M', false],
    ['720101-1000000', '1972-01-01', 'M', false],
    ['031231-4000000', '2003-12-31', 'F', false],
  ];
  it.each(valid)('%s → born %s, %s, foreign=%s', (raw, birthDate, sex, foreign) => {
    const r = parseRrn(raw);
    expect(r).toEqual({ ok: true, facts: { birthDate, sex, foreignResident: foreign }, normalized: raw.trim().replace('-', '') });
    if (r.ok) expect(r.normalized).toMatch(/^\d{13}$/);
  });
});

describe('parseRrn: invalid numbers', () => {
  const invalid: Array<[raw: string, reason: 'FORMAT' | 'DATE']> = [
    ['', 'FORMAT'],
    ['900829', 'FORMAT'],
    ['900829-123456', 'FORMAT'],
    ['900829-12345678', 'FORMAT'],
    ['90082912345678', 'FORMAT'],
    ['90082-91234567', 'FORMAT'],
    ['900829 1234567', 'FORMAT'],
    ['900829_1234567', 'FORMAT'],
    ['900829--1234567', 'FORMAT'],
    ['900829–1234567', 'FORMAT'], // en dash, not a hyphen
    ['90O829-1234567', 'FORMAT'], // letter O
    ['９００８２９-１２３４５６７', 'FORMAT'], // full-width digits
    ['900829-1234567x', 'FORMAT'],
    // Feb 29 on non-leap years: 2001, 1900 and 1800 (centuries not divisible by 400), 1997.
    ['010229-3234567', 'DATE'],
    ['000229-1234567', 'DATE'],
    ['000229-9234567', 'DATE'],
    ['970229-2234567', 'DATE'],
    ['901301-1234567', 'DATE'],
    ['900001-1234567', 'DATE'],
    ['900100-1234567', 'DATE'],
    ['900132-1234567', 'DATE'],
    ['900431-1234567', 'DATE'],
    ['900631-5234567', 'DATE'],
  ];
  it.each(invalid)('%j → %s', (raw, reason) => {
    expect(parseRrn(raw)).toEqual({ ok: false, reason });
  });
});

describe('maskRrn', () => {
  it('keeps the birth date and 7th digit only', () => {
    expect(maskRrn('900829-1234567')).toBe('900829-1******');
    expect(maskRrn('9008292234567')).toBe('900829-2******');
    expect(maskRrn(' 000229-3234567 ')).toBe('000229-3******');
  });

  it.each(['', 'garbage', '900229-1234567', '900829-12345', '010229-3234567'])('fully masks invalid %j', (raw) => {
    expect(maskRrn(raw)).toBe('******-*******');
  });

  it('never leaks digits 8–13 of any 13-digit input', () => {
    const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 13, maxLength: 13 });
    fc.assert(
      fc.property(digits, fc.boolean(), (d, hyphen) => {
        const masked = maskRrn(hyphen ? `${d.slice(0, 6)}-${d.slice(6)}` : d);
        expect(masked).toMatch(/^(\d{6}-\d\*{6}|\*{6}-\*{7})$/);
        expect(masked.slice(8)).toMatch(/^\*+$/);
        if (masked !== '******-*******') expect(masked.slice(0, 8)).toBe(`${d.slice(0, 6)}-${d.charAt(6)}`);
      }),
    );
  });
});

describe('hashRrn', () => {
  const secret = 'yeyak-test-secret';

  it('is HMAC-SHA256 hex (known answer)', () => {
    expect(hashRrn('9008291234567', secret)).toBe('da31d3a1f356bb2a46b936a6cc4313243f704b5f12c1ad7f69c4f4e47b4d2143');
  });

  it('is deterministic and depends on the number and the secret', () => {
    const h = hashRrn('9008291234567', secret);
    expect(hashRrn('9008291234567', secret)).toBe(h);
    expect(hashRrn('9008291234568', secret)).not.toBe(h);
    expect(hashRrn('9008291234567', `${secret}!`)).not.toBe(h);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).toBe(createHmac('sha256', secret).update('9008291234567').digest('hex'));
  });

  it('hyphenated and plain input normalize to the same hash', () => {
    const a = parseRrn('900829-1234567');
    const b = parseRrn('9008291234567');
    if (!a.ok || !b.ok) throw new Error('expected valid');
    expect(hashRrn(a.normalized, secret)).toBe(hashRrn(b.normalized, secret));
  });

  it('refuses non-normalized input and an empty secret', () => {
    expect(() => hashRrn('900829-1234567', secret)).toThrow(RangeError);
    expect(() => hashRrn('9008291234567', '')).toThrow(RangeError);
  });
});

describe('maskedRrnFromFacts (the masked display, rebuilt without the number)', () => {
  it.each([
    ['900829-1234567'],
    ['851231-2000001'],
    ['040229-3000001'],
    ['050101-4000001'],
    ['900829-5000001'],
    ['030303-8000001'],
    ['991231-9000001'],
  ])('%s → the same masked form as maskRrn', (rrn) => {
    const parsed = parseRrn(rrn);
    if (!parsed.ok) throw new Error(`bad fixture ${rrn}`);
    expect(maskedRrnFromFacts(parsed.facts)).toBe(maskRrn(rrn));
    expect(maskedRrnFromFacts(parsed.facts)).not.toContain(rrn.slice(8));
  });
});
