/**
 * The database's result codes (book_batch, change_reservation, cancel_reservation) to answers:
 * the body, or the catalogue error. A code not listed here is a broken invariant between the SQL
 * and this file — an assert, logged whole by the error handler and answered 500, never a quiet
 * 500 that nobody sees.
 */
import { assert, YeyakError, type ErrorCode } from '../core/errors.ts';
import { PROXY_PEOPLE_MAX } from './proxy.ts';
import type { BookingOutcome, CancelCode, ChangeCode, ReservationBody } from './sql.ts';

/**
 * The answer to one booking of a batch. `slotFull` names the error of a full slot (the campaign's
 * whole supply booked, or this clinic-day only); it reads the availability view, so only then.
 */
export function bookingAnswer(outcome: BookingOutcome, slotFull: () => ErrorCode): ReservationBody {
  const code = outcome.code;
  switch (code) {
    case 'OK':
    case 'REPLAY':
    case 'REPLAY_CANCELLED':
      assert(outcome.response, `book_batch answered ${code} without a response`);
      return replayAnswer(outcome.response);
    case 'IDEMPOTENCY_MISMATCH':
      throw new YeyakError('YEYAK_E_IDEMPOTENCY_MISMATCH');
    case 'ALREADY_BOOKED':
      throw new YeyakError('YEYAK_E_ALREADY_BOOKED');
    case 'PROXY_CAP':
      throw new YeyakError('YEYAK_E_PROXY_CAP_REACHED', undefined, { cap: PROXY_PEOPLE_MAX });
    case 'DOSE2_FULL':
      throw new YeyakError('YEYAK_E_DOSE2_FULL');
    case 'PERSON_UNKNOWN':
    case 'PROXY_UNKNOWN': // the proxy is the session's person
      throw new YeyakError('YEYAK_E_UNAUTHENTICATED', 'This session belongs to no known person; verify again.');
    case 'SLOT_FULL':
      throw new YeyakError(slotFull());
    case 'BOOKING_NUMBER_TAKEN': // still, after submitBooking's fresh draws
      assert(false, 'three booking-number collisions in a row');
    // falls through (assert never returns)
    default:
      // INVALID (a row the service never builds), or a code this build does not know.
      assert(false, `book_batch answered an unexpected code ${JSON.stringify(code)}`);
  }
}

const changeErrors: Readonly<Record<Exclude<ChangeCode, 'OK'>, ErrorCode>> = {
  NOT_FOUND: 'YEYAK_E_RESERVATION_NOT_FOUND',
  CANCELLED: 'YEYAK_E_RESERVATION_CANCELLED',
  NOTHING: 'YEYAK_E_CHANGE_NOTHING',
  NOT_OFFERED: 'YEYAK_E_DATE_NOT_OFFERED',
  CHANGE_TOO_LATE: 'YEYAK_E_CHANGE_TOO_LATE',
  SLOT_FULL: 'YEYAK_E_SLOT_FULL',
  DOSE2_FULL: 'YEYAK_E_DOSE2_FULL',
};

const cancelErrors: Readonly<Record<Exclude<CancelCode, 'OK'>, ErrorCode>> = {
  NOT_FOUND: 'YEYAK_E_RESERVATION_NOT_FOUND',
  CANCELLED: 'YEYAK_E_RESERVATION_CANCELLED',
  CANCEL_TOO_LATE: 'YEYAK_E_CANCEL_TOO_LATE',
};

/** change_reservation's answer: the reservation as changed, or its catalogue error. */
export function changeAnswer(r: { code: ChangeCode; response: ReservationBody | null }): ReservationBody {
  return answerOrThrow('change_reservation', r, changeErrors);
}

/** cancel_reservation's answer. */
export function cancelAnswer<T>(r: { code: CancelCode; response: T | null }): T {
  return answerOrThrow('cancel_reservation', r, cancelErrors);
}

function answerOrThrow<Code extends string, T>(fn: string, r: { code: Code; response: T | null }, errors: Readonly<Record<Exclude<Code, 'OK'>, ErrorCode>>): T {
  if (r.code === 'OK') {
    assert(r.response, `${fn} answered OK without a response`);
    return r.response;
  }
  // Own keys only: a code such as 'toString' must not find Object.prototype's.
  const code = Object.hasOwn(errors, r.code) ? errors[r.code as Exclude<Code, 'OK'>] : undefined;
  assert(code, `${fn} answered an unexpected code ${JSON.stringify(r.code)}`);
  throw new YeyakError(code);
}

/**
 * What a replay answers: the reservation as it is now. One cancelled since is not "confirmed":
 * 409 RESERVATION_CANCELLED with its booking number (book again with a new key).
 */
export function replayAnswer(body: ReservationBody): ReservationBody {
  if (body.status === 'cancelled') {
    throw new YeyakError('YEYAK_E_RESERVATION_CANCELLED', 'The booking this Idempotency-Key made was cancelled since; book again with a new key.', { bookingNumber: body.bookingNumber });
  }
  return body;
}
