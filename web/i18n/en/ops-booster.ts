/** The operator's definition page: a booster's cohort by earlier doses (issue #11), in English. */
import type { Shape } from '../shape.ts';
import type { opsBooster as ko } from '../ko/ops-booster.ts';

export const opsBooster: Shape<typeof ko> = {
  legend: 'Earlier doses (booster)',
  minDays: 'Days since the last dose',
  minDaysHint: 'Bookable once this many days have passed since the last dose (a booking in this system or an uploaded vaccination record), in Korea time.',
  sources: (ids: string) => `Campaigns whose doses count: ${ids}`,
  sourcesAny: 'Campaigns whose doses count: every campaign but this one',
  records: 'Doses given elsewhere are registered by uploading vaccination records (POST /api/v1/admin/vaccination-records, CSV: rrn,dose,day,vaccine,source).',
};
