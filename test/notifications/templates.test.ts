/**
 * Issue #11, "refused at template time": every template of every topic, in both languages,
 * rendered with worst-case values (the longest clinic name the scenarios seed, the longest name
 * the identity form takes, a 200-character campaign name, every stated relationship), is
 * CP949-encodable and at most 2,000 bytes; an unencodable rendering is refused with its code.
 */
import { describe, expect, it } from 'vitest';
import { NOTICE_TOPICS, type NoticePayloads, type NoticeTopic } from '../../src/rules/notices.ts';
import { render, renderText, type NoticeFacts, type NoticeLang } from '../../src/notifications/templates.ts';
import { smsLength } from '../../src/notifications/sms-length.ts';
import { generateClinics } from '../../src/scenarios/clinics.ts';

const longestClinic = generateClinics(7, 13_000, () => 1).reduce((a, c) => (c.name.length > a.length ? c.name : a), '');
const reservation = {
  bookingNumber: 'K7M2-9QX4-PT3A',
  campaignId: 'korea-2021-08',
  status: 'confirmed',
  vaccine: 'astrazeneca',
  doses: [
    { dose: 1, date: '2021-12-31', clinicId: 'c-00001' },
    { dose: 2, date: '2022-12-31', clinicId: 'c-00001' },
  ],
};
const RELATIONSHIPS = ['parent', 'grandparent', 'spouse', 'child', 'sibling', 'relative', 'guardian', 'other'];

/** Worst-case payloads per topic (several where a field changes the text's length). */
const samples: { [T in NoticeTopic]: NoticePayloads[T][] } = {
  'reservation.confirmed': [{ personId: 1, reservation }],
  'reservation.changed': [{ personId: 1, reservation }],
  'reservation.cancelled': [{ personId: 1, bookingNumber: reservation.bookingNumber }],
  'reservation.proxy_booked': RELATIONSHIPS.map((relationship) => ({
    kind: 'proxy_booked' as const, personId: 1, phone: '010-1234-5678', relationship, bookingNumber: reservation.bookingNumber, reservation,
  })),
  'reservation.dose2_moved': [{ personId: 1, bookingNumber: reservation.bookingNumber, campaignId: 'korea-2021-08', clinicId: 'c-00001', fromDay: '2021-09-30', toDay: '2021-12-31', jobId: 999_999 }],
  'leftover.released': [{ personId: 1, campaignId: 'korea-2021-08', clinicId: 'c-00001', releaseId: 999_999, vaccineId: 'astrazeneca', until: '2021-08-16T23:59:00+09:00' }],
  'leftover.booked': [
    { personId: 1, campaignId: 'korea-2021-08', clinicId: 'c-00001', bookingNumber: reservation.bookingNumber, day: '2021-12-31', replacedBookingNumber: 'AAAA-BBBB-CCCC' },
    { personId: 1, campaignId: 'korea-2021-08', clinicId: 'c-00001', bookingNumber: reservation.bookingNumber, day: '2021-12-31', replacedBookingNumber: null },
  ],
  'campaign.sold_out': [{ personId: 1, campaignId: 'korea-2021-08' }],
};

const worst: Record<NoticeLang, NoticeFacts> = {
  ko: { personName: '가'.repeat(40), clinicName: longestClinic, vaccineName: '아스트라제네카', campaignName: '나'.repeat(200) },
  en: { personName: 'W'.repeat(40), clinicName: longestClinic, vaccineName: 'Pfizer-BioNTech', campaignName: 'W'.repeat(200) },
};
const unknown: NoticeFacts = { personName: null, clinicName: null, vaccineName: null, campaignName: null };

describe('notice templates', () => {
  it('the samples cover every topic', () => {
    expect(Object.keys(samples).sort()).toEqual([...NOTICE_TOPICS].sort());
    expect(longestClinic.length).toBeGreaterThan(10);
  });

  for (const topic of NOTICE_TOPICS) {
    for (const lang of ['ko', 'en'] as const) {
      it(`${topic} (${lang}): encodable, at most 2,000 bytes, worst case and with no facts known`, () => {
        for (const payload of samples[topic] as Record<string, unknown>[]) {
          for (const facts of [worst[lang], unknown]) {
            const text = renderText(topic, payload as never, facts, lang);
            const length = smsLength(text);
            expect(length, text).toMatchObject({ ok: true });
            const rendered = render(topic, { ...payload, lang }, facts);
            expect(rendered).toMatchObject({ ok: true, text, lang });
            expect(text).not.toMatch(/undefined|null|NaN|\[object/);
          }
        }
      });
    }
  }

  it('Korean is the default; a booking notice in the usual case fits one LMS, its facts in it', () => {
    const r = render('reservation.confirmed', { personId: 1, reservation }, { personName: '김민준', clinicName: '서울 튼튼내과의원', vaccineName: null, campaignName: null });
    expect(r).toMatchObject({ ok: true, lang: 'ko' });
    if (!r.ok) return;
    expect(r.text).toContain('김민준님');
    expect(r.text).toContain('K7M2-9QX4-PT3A');
    expect(r.text).toContain('12월 31일');
    const en = render('reservation.cancelled', { personId: 1, bookingNumber: 'K7M2-9QX4-PT3A', lang: 'en' }, unknown);
    expect(en).toMatchObject({ ok: true, kind: 'sms', lang: 'en' });
  });

  it('a name with an emoji is refused with NOTICE_UNENCODABLE, not sent as "?"', () => {
    const r = render('reservation.cancelled', { personId: 1, bookingNumber: 'K7M2-9QX4-PT3A' }, { ...unknown, personName: '민준😀' });
    expect(r).toMatchObject({ ok: false, code: 'NOTICE_UNENCODABLE' });
  });

  it('a topic with no template, or a payload its topic does not allow, is refused', () => {
    expect(render('no.such.topic', {}, unknown)).toMatchObject({ ok: false, code: 'NOTICE_TOPIC_UNKNOWN' });
    expect(render('reservation.confirmed', { personId: 1 }, unknown)).toMatchObject({ ok: false, code: 'NOTICE_PAYLOAD_INVALID' });
    // A field missing that does not throw: refused too, never sent as "undefined".
    expect(render('reservation.cancelled', { personId: 1 }, unknown)).toMatchObject({ ok: false, code: 'NOTICE_PAYLOAD_INVALID' });
  });
});
