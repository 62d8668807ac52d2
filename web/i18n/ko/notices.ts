/**
 * The notices (SMS / 알림톡) the outbox worker sends, Korean: the source shape (en/notices.ts is
 * typed by it). One function per topic of src/rules/notices.ts, of its payload and the facts the
 * worker looks up when it sends (names, never stored in the payload). Pure functions, no DOM:
 * the server's notifications capability imports this file (the one import from web/ that
 * .dependency-cruiser.cjs allows). Every text must stay CP949-encodable and at most 2,000 bytes
 * for the worst-case values (test/notifications/templates.test.ts); ≤ 90 bytes goes as one SMS.
 */
import type { NoticePayloads } from '../../../src/rules/notices.ts';

/** What the worker looks up for a notice when it sends it; null when not known. */
export interface NoticeFacts {
  readonly personName: string | null;
  readonly clinicName: string | null;
  readonly vaccineName: string | null;
  readonly campaignName: string | null;
}

type P<T extends keyof NoticePayloads> = NoticePayloads[T];

/** 'YYYY-MM-DD' → '8월 9일'. */
const day = (d: string | undefined) => (d && /^\d{4}-\d{2}-\d{2}/.test(d) ? `${Number(d.slice(5, 7))}월 ${Number(d.slice(8, 10))}일` : '-');
/** An instant (ISO-8601) → 'HH:MM' in Korea, where every clinic is. */
const KOREA_HM = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Seoul', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const hm = (instant: string) => (Number.isNaN(Date.parse(instant)) ? instant : KOREA_HM.format(new Date(instant)));
const doseDay = (r: P<'reservation.confirmed'>['reservation'], dose: number) => day(r.doses.find((x) => x.dose === dose)?.date);
const who = (f: NoticeFacts) => (f.personName ? `${f.personName}님, ` : '');
const clinic = (f: NoticeFacts) => f.clinicName ?? '예약하신 의료기관';
const dose2 = (r: P<'reservation.confirmed'>['reservation']) => (r.doses.some((x) => x.dose === 2) ? ` 2차 ${doseDay(r, 2)}.` : '');

/** The relationship the proxy stated (src/booking/proxy.ts proxyRelationships). */
const RELATIONSHIP: Record<string, string> = { parent: '부모', grandparent: '조부모', spouse: '배우자', child: '자녀', sibling: '형제자매', relative: '친척', guardian: '보호자', other: '기타' };

export const notices = {
  /** Put before every text: who sends it. */
  sender: '[예약]',
  topics: {
    'reservation.confirmed': (p: P<'reservation.confirmed'>, f: NoticeFacts) =>
      `${who(f)}예방접종 예약이 완료되었습니다. 예약번호 ${p.reservation.bookingNumber}. ${clinic(f)} 1차 ${doseDay(p.reservation, 1)}.${dose2(p.reservation)}`,
    'reservation.changed': (p: P<'reservation.changed'>, f: NoticeFacts) =>
      `${who(f)}예약이 변경되었습니다. 예약번호 ${p.reservation.bookingNumber}. ${clinic(f)} 1차 ${doseDay(p.reservation, 1)}.${dose2(p.reservation)}`,
    'reservation.cancelled': (p: P<'reservation.cancelled'>, f: NoticeFacts) =>
      `${who(f)}예약(${p.bookingNumber})이 취소되었습니다.`,
    'reservation.proxy_booked': (p: P<'reservation.proxy_booked'>, f: NoticeFacts) =>
      `${who(f)}대리인(관계: ${RELATIONSHIP[p.relationship] ?? '기타'})이 대신 예방접종을 예약했습니다. 예약번호 ${p.bookingNumber}. ${clinic(f)} 1차 ${doseDay(p.reservation, 1)}.${dose2(p.reservation)} 본인인증 후 확인·변경·취소할 수 있습니다.`,
    'reservation.dose2_moved': (p: P<'reservation.dose2_moved'>, f: NoticeFacts) =>
      `${who(f)}백신 공급 일정에 따라 2차 접종일이 ${day(p.fromDay)}에서 ${day(p.toDay)}로 변경되었습니다. 예약번호 ${p.bookingNumber}, ${clinic(f)}.`,
    'leftover.released': (p: P<'leftover.released'>, f: NoticeFacts) =>
      `${who(f)}관심 의료기관 ${clinic(f)}에 오늘 ${hm(p.until)}까지 잔여백신(${f.vaccineName ?? p.vaccineId})이 있습니다. 선착순 예약입니다.`,
    'leftover.booked': (p: P<'leftover.booked'>, f: NoticeFacts) =>
      `${who(f)}잔여백신 예약이 완료되었습니다. 예약번호 ${p.bookingNumber}. ${clinic(f)} ${day(p.day)}.${p.replacedBookingNumber ? ` 기존 예약(${p.replacedBookingNumber})은 취소되었습니다.` : ''}`,
    'campaign.sold_out': (_p: P<'campaign.sold_out'>, f: NoticeFacts) =>
      `${who(f)}${f.campaignName ?? '접종 사업'}의 확보된 백신 물량이 모두 예약되어 지금은 예약할 수 없습니다. 물량이 늘면 다시 알려 드립니다.`,
  },
};
