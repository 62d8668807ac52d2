/**
 * A campaign's supply state, as GET /campaigns, the waiting room and the pages show it. Sold out:
 * no first dose left to book from the campaign's first bookable day on (the availability view's
 * remaining dose-1 capacity, the same figure as `supplyExhausted`) — every confirmed dose is
 * booked or was cut. It flips back as soon as a dose returns (a cancellation, a raised delivery,
 * new capacity). Pure: the caller gives the remaining count.
 */
export type SupplyState = 'available' | 'sold_out';

export function supplyStateOf(remainingFirstDoses: number): SupplyState {
  return remainingFirstDoses > 0 ? 'available' : 'sold_out';
}

/** What the campaign says while sold out (Korean first). */
export const SOLD_OUT_NOTICE = {
  ko: '확보된 백신 물량이 모두 예약되어 예약을 잠시 멈췄습니다. 취소분이나 추가 물량이 생기면 다시 엽니다.',
  en: 'All confirmed vaccine doses are booked, so booking is paused. It opens again when doses come back (cancellations or a new delivery).',
} as const;
