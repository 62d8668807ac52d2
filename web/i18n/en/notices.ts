/** The notices (SMS / 알림톡), English (typed as the Korean source: tsc catches a missing topic). */
import type { Shape } from '../shape.ts';
import type { NoticeFacts, notices as ko } from '../ko/notices.ts';
import type { NoticePayloads } from '../../../src/rules/notices.ts';

type P<T extends keyof NoticePayloads> = NoticePayloads[T];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** 'YYYY-MM-DD' → '9 Aug'. */
const day = (d: string | undefined) => (d && /^\d{4}-\d{2}-\d{2}/.test(d) ? `${Number(d.slice(8, 10))} ${MONTHS[Number(d.slice(5, 7)) - 1] ?? ''}` : '-');
/** An instant (ISO-8601) → 'HH:MM' in Korea, where every clinic is. */
const KOREA_HM = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Seoul', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const hm = (instant: string) => (Number.isNaN(Date.parse(instant)) ? instant : KOREA_HM.format(new Date(instant)));
const doseDay = (r: P<'reservation.confirmed'>['reservation'], dose: number) => day(r.doses.find((x) => x.dose === dose)?.date);
const who = (f: NoticeFacts) => (f.personName ? `${f.personName}, ` : '');
const clinic = (f: NoticeFacts) => f.clinicName ?? 'your clinic';
const dose2 = (r: P<'reservation.confirmed'>['reservation']) => (r.doses.some((x) => x.dose === 2) ? ` Dose 2 ${doseDay(r, 2)}.` : '');

export const notices: Shape<typeof ko> = {
  sender: '[yeyak]',
  topics: {
    'reservation.confirmed': (p, f) =>
      `${who(f)}your vaccination is booked. Booking ${p.reservation.bookingNumber}. ${clinic(f)}, dose 1 ${doseDay(p.reservation, 1)}.${dose2(p.reservation)}`,
    'reservation.changed': (p, f) =>
      `${who(f)}your booking ${p.reservation.bookingNumber} has changed. ${clinic(f)}, dose 1 ${doseDay(p.reservation, 1)}.${dose2(p.reservation)}`,
    'reservation.cancelled': (p, f) => `${who(f)}your booking ${p.bookingNumber} is cancelled.`,
    'reservation.proxy_booked': (p, f) =>
      `${who(f)}someone (stated relationship: ${p.relationship}) booked your vaccination for you. Booking ${p.bookingNumber}. ${clinic(f)}, dose 1 ${doseDay(p.reservation, 1)}.${dose2(p.reservation)} Verify yourself to view, change or cancel it.`,
    'reservation.dose2_moved': (p, f) =>
      `${who(f)}because of vaccine deliveries your dose 2 moved from ${day(p.fromDay)} to ${day(p.toDay)}. Booking ${p.bookingNumber}, ${clinic(f)}.`,
    'leftover.released': (p, f) =>
      `${who(f)}your favourite clinic ${clinic(f)} has leftover doses (${f.vaccineName ?? p.vaccineId}) today until ${hm(p.until)}. First come, first served.`,
    'leftover.booked': (p, f) =>
      `${who(f)}your leftover dose is booked. Booking ${p.bookingNumber}. ${clinic(f)}, ${day(p.day)}.${p.replacedBookingNumber ? ` Your earlier booking ${p.replacedBookingNumber} is cancelled.` : ''}`,
    'campaign.sold_out': (_p, f) =>
      `${who(f)}all confirmed vaccine for ${f.campaignName ?? 'this campaign'} is booked; booking is closed for now. We will tell you when more arrives.`,
  },
};
