/** The operator's definition page: a booster's cohort by earlier doses (issue #11). Korean, the source. */
export const opsBooster = {
  legend: '이전 접종 조건 (추가접종)',
  minDays: '마지막 접종 후 지나야 하는 날 수',
  minDaysHint: '마지막 접종일(이 시스템의 예약 또는 등록된 접종 기록)로부터 이 날 수가 지나면 예약할 수 있습니다. 대한민국 시간 기준.',
  sources: (ids: string) => `이전 접종으로 보는 사업: ${ids}`,
  sourcesAny: '이전 접종으로 보는 사업: 이 사업을 뺀 모든 사업',
  records: '다른 곳에서 맞은 접종은 접종 기록 업로드(POST /api/v1/admin/vaccination-records, CSV: rrn,dose,day,vaccine,source)로 등록합니다.',
};
