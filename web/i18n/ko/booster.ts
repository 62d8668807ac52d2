/** A booster's cohort by earlier doses (issue #11) on the citizen pages: Korean, the source (en is typed by its shape). */
export const booster = {
  // Landing: who may book, by their earlier doses.
  cohort: (days: number) => `마지막 접종일로부터 ${days}일이 지난 분 (이전에 맞은 백신 종류와 관계없이)`,
  bornBy: (day: string) => `${day}까지 태어나신 분`,
  oneDose: '1회 접종입니다. 2차 접종 예약은 없습니다.',
  // Eligibility.
  tooSoonTitle: '아직 추가접종 시기가 아닙니다',
  tooSoon: (lastDose: string, days: number) => `마지막 접종일은 ${lastDose}입니다. 추가접종은 ${days}일이 지난 뒤에 할 수 있습니다.`,
  eligibleFrom: (day: string) => `${day}부터 예약할 수 있습니다.`,
  noDoseTitle: '이전 접종 기록이 없습니다',
  noDose: '이 예약은 이전에 접종을 마치신 분을 위한 추가접종입니다. 다른 곳에서 접종하셨다면 관할 보건소에 접종 기록 등록을 요청해 주세요.',
  lastDose: (day: string) => `마지막 접종일: ${day}`,
  // Booking summary and receipt: the one dose's name.
  dose: '추가접종',
  receiptNote: '추가접종은 1회입니다. 2차 접종 예약은 없습니다.',
};
