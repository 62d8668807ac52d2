/** The console's dose-2 move view, English (typed as the Korean source: tsc catches a missing string). */
import type { Shape } from '../shape.ts';
import type { opsReschedule as ko } from '../ko/ops-reschedule.ts';

export const opsReschedule: Shape<typeof ko> = {
  heading: 'Move second doses in bulk',
  intro: 'Choose the dose-1 days and the vaccine, and move everyone’s dose 2 to the new interval at once. Days to avoid (holidays) move by the rule you set. People whose new day has no room stay listed; everyone moved is told once. A job can stop and go on later, and nobody is moved twice.',
  planLabel: 'Move plan (JSON)',
  planHint: 'e.g. {"campaignId":"demo","vaccineId":"pfizer","dose1From":"2026-12-01","dose1To":"2026-12-07","interval":{"minDays":35,"maxDays":42},"avoidDays":[],"shiftDays":-5}',
  planNotJson: 'The move plan is not valid JSON.',
  dryRun: 'Preview (saves nothing)',
  start: 'Start the move',
  dryHeading: 'Preview',
  dryCounts: (total, moved, unfit, skipped) => `Of ${total} in scope: ${moved} would move, ${unfit} would not fit, ${skipped} already fit or left out`,
  jobsHeading: 'Move jobs',
  noJobs: 'No move job yet.',
  loading: 'Loading…',
  refresh: 'Refresh',
  jobLabel: (id) => `Job ${id}`,
  state: { queued: 'Waiting', running: 'Running', paused: 'Paused', done: 'Done', failed: 'Failed' },
  progressLabel: (id) => `Job ${id} progress`,
  counts: (examined, total, moved, unfit, skipped) => `${examined} of ${total} done: moved ${moved}, no room ${unfit}, left out ${skipped}`,
  pause: 'Pause',
  resume: 'Go on',
  perDayHeading: 'People per new dose-2 day',
  perDayColumns: { day: 'New dose-2 day', moved: 'People' },
  unfitHeading: 'People who could not be moved (no room)',
  unfitNone: 'Everyone was moved.',
  unfitColumns: { booking: 'Booking number', clinic: 'Clinic', day1: 'Dose 1', day2: 'Dose 2 kept', reason: 'Why' },
  reason: { FULL: 'every new day is full', NO_SLOT: 'no dose-2 day there on the new days', NO_DOSE2: 'no dose-2 booking' },
  lastError: (e) => `Error: ${e}`,
};
