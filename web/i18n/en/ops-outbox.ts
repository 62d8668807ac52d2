/** The console's Outbox view, English (typed as the Korean source: tsc catches a missing string). */
import type { Shape } from '../shape.ts';
import type { opsOutbox as ko } from '../ko/ops-outbox.ts';

export const opsOutbox: Shape<typeof ko> = {
  heading: 'Outbox',
  intro: 'Where the notices (SMS, 알림톡) for bookings, changes and cancellations stand. A notice that failed too often is held (dead letter): fix the cause, then send it again. A notice is always resent with its own idempotency key, so nobody gets it twice.',
  counts: 'Notices per state',
  state: { pending: 'To send', sent: 'Sent', dead: 'Held (failed)' },
  deadHeading: 'Held notices',
  none: 'No notice is held.',
  loading: 'Loading…',
  refresh: 'Refresh',
  columns: { id: 'No.', topic: 'Kind', to: 'To', attempts: 'Tries', lastError: 'Last error', createdAt: 'Made', deadAt: 'Held since', action: 'Action' },
  topics: {
    'reservation.confirmed': 'Booked',
    'reservation.changed': 'Booking changed',
    'reservation.cancelled': 'Booking cancelled',
    'reservation.proxy_booked': 'Booked by a proxy',
    'reservation.dose2_moved': 'Dose 2 moved',
    'leftover.released': 'Leftover doses alert',
    'leftover.booked': 'Leftover dose booked',
    'campaign.sold_out': 'Supply used up',
  },
  retry: 'Send again',
  retryLabel: (id) => `Send notice ${id} again`,
  retryAll: (n) => `Send all ${n} held notices again`,
  retried: (id) => `Notice ${id} is queued to be sent again.`,
  retriedAll: (n) => `${n} notices are queued to be sent again.`,
};
