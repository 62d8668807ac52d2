/** Sold-out words (issue #11) for the landing and waiting pages (Korean, the source shape). Kept short: the waiting page is small. */
export const supply = {
  soldOutTitle: '백신 물량 소진',
  /** Landing page: the campaign is sold out. */
  landing: '확보된 백신이 모두 예약되었습니다. 취소분이나 추가 물량이 생기면 이 화면에서 다시 예약할 수 있습니다.',
  /** Waiting page, a place held: admission stopped, place kept. */
  waiting: '확보된 백신이 모두 예약되어 입장을 멈췄습니다. 순서는 그대로 유지되며, 물량이 생기면 자동으로 다시 진행됩니다.',
  /** Waiting page, a join refused: no place given. */
  joinRefused: '확보된 백신이 모두 예약되어 지금은 대기열에 들어갈 수 없습니다. 이 화면을 열어 두면 물량이 생길 때 자동으로 다시 시도합니다.',
};
