/** Issue #11: SMS byte counting in EUC-KR (CP949) — Korean, mixed, exactly 90 / 91, emoji refused. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cp949Bytes, LMS_BYTES_MAX, SMS_BYTES_MAX, smsLength } from '../../src/notifications/sms-length.ts';

const HANGUL = fc.integer({ min: 0xac00, max: 0xd7a3 }).map((c) => String.fromCharCode(c));
const ASCII = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));

describe('SMS length in CP949 bytes', () => {
  it('a Hangul syllable is 2 bytes, ASCII 1', () => {
    expect(cp949Bytes('예약')).toBe(4);
    expect(cp949Bytes('똠방각하')).toBe(8); // 똠: CP949's extension beyond KS X 1001
    expect(cp949Bytes('abc 123')).toBe(7);
    expect(cp949Bytes('[예약] 1차 8월 9일')).toBe(6 + 1 + 3 + 1 + 3 + 1 + 3);
  });

  it('mixed text: bytes = 2 × syllables + ASCII characters (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(HANGUL, ASCII), { maxLength: 200 }), (chars) => {
        const text = chars.join('');
        const syllables = chars.filter((c) => c.charCodeAt(0) >= 0xac00).length;
        expect(cp949Bytes(text)).toBe(2 * syllables + (chars.length - syllables));
      }),
    );
  });

  it('exactly 90 bytes is one SMS, 91 an LMS, 2,000 the longest LMS, 2,001 refused', () => {
    expect(smsLength('가'.repeat(45))).toEqual({ ok: true, kind: 'sms', bytes: 90 });
    expect(smsLength(`${'가'.repeat(45)}a`)).toEqual({ ok: true, kind: 'lms', bytes: 91 });
    expect(smsLength(`${'a'.repeat(88)}가`)).toEqual({ ok: true, kind: 'sms', bytes: SMS_BYTES_MAX });
    expect(smsLength('가'.repeat(1000))).toEqual({ ok: true, kind: 'lms', bytes: LMS_BYTES_MAX });
    expect(smsLength(`${'가'.repeat(1000)}a`)).toEqual({ ok: false, code: 'TOO_LONG', bytes: 2001 });
  });

  it('a character CP949 cannot encode is refused, never sent as "?"', () => {
    for (const text of ['예약 완료 😀', '김🙂철수', 'emoji \u{1F489}', '‍', 'ภาษาไทย']) {
      expect(smsLength(text), text).toMatchObject({ ok: false, code: 'UNENCODABLE' });
    }
    // A real question mark is fine.
    expect(smsLength('예약하셨나요?')).toMatchObject({ ok: true, kind: 'sms' });
  });
});
