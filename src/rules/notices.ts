/**
 * The notices the system sends, as the outbox holds them: one topic and one payload shape each.
 * Producers (the booking functions in SQL, supply, leftovers, the dose-2 move) write rows with
 * these topics; the outbox worker (src/notifications/) renders each with the typed templates and
 * delivers it. A payload names the person (`personId`); the worker reads their phone when it
 * sends, so a notice never carries more personal data than it must (the proxy notice carries the
 * beneficiary's phone, as it always has).
 */

/** A reservation as the booking functions answer it (`reservation_body` in migrations/008). */
export interface NoticeReservation {
  readonly bookingNumber: string;
  readonly campaignId: string;
  readonly status: string;
  readonly vaccine: string;
  readonly doses: readonly { readonly dose: number; readonly date: string; readonly clinicId: string }[];
}

export interface NoticePayloads {
  /** A booking made (book_batch). */
  'reservation.confirmed': { personId: number; reservation: NoticeReservation };
  /** A booking's clinic or days changed by its holder (change_reservation). */
  'reservation.changed': { personId: number; reservation: NoticeReservation };
  /** A booking cancelled (cancel_reservation, or replaced by a leftover dose). */
  'reservation.cancelled': { personId: number; bookingNumber: string };
  /** Booked for them by a proxy (book_batch): told at the beneficiary's phone. */
  'reservation.proxy_booked': { kind: 'proxy_booked'; personId: number; phone: string; relationship: string; bookingNumber: string; reservation: NoticeReservation };
  /** Dose 2 moved by an operator's bulk move (reschedule job). */
  'reservation.dose2_moved': { personId: number; bookingNumber: string; campaignId: string; clinicId: string; fromDay: string; toDay: string; jobId: number };
  /** A favourite clinic released leftover doses today. */
  'leftover.released': { personId: number; campaignId: string; clinicId: string; releaseId: number; vaccineId: string; until: string };
  /** A leftover dose taken (and, when they had one, the regular booking it replaced). */
  'leftover.booked': { personId: number; campaignId: string; clinicId: string; bookingNumber: string; day: string; replacedBookingNumber: string | null };
  /** The campaign's confirmed supply is used up: told to people admitted who had not booked. */
  'campaign.sold_out': { personId: number; campaignId: string };
}

export type NoticeTopic = keyof NoticePayloads;

export const NOTICE_TOPICS: readonly NoticeTopic[] = [
  'reservation.confirmed',
  'reservation.changed',
  'reservation.cancelled',
  'reservation.proxy_booked',
  'reservation.dose2_moved',
  'leftover.released',
  'leftover.booked',
  'campaign.sold_out',
];

export function isNoticeTopic(topic: string): topic is NoticeTopic {
  return (NOTICE_TOPICS as readonly string[]).includes(topic);
}
