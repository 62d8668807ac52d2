/**
 * The night of 9 August 2021 as data: the first rotation window of the 18–49 cohort (born on a
 * day ending in 9), `--arrival replay:2021-08-09`. The figures marked "issue #10" are the issue's;
 * the rest are this file's assumptions, each said so.
 */
import { DEFAULT_MIX, type Mix } from './mix.ts';

export const NIGHT_2021_08_09 = {
  /** issue #10: "1.41M people eligible that night". */
  eligible: 1_410_000,
  /** issue #10: "~835k booked by the window's end". */
  bookedByWindowEnd: 835_000,
  /** issue #10: "~40 % of the day's bookings in the first 30 minutes". */
  firstHalfHourShare: 0.4,
  /** issue #10: "~2.5 verification attempts per completed booking". */
  verificationAttemptsPerBooking: 2.5,
  /** The window: 9 Aug 20:00 → 10 Aug 18:00 Asia/Seoul (src/rules/korea-2021-08.ts, rotation windows), 22 h. */
  windowMinutes: 22 * 60,
  /**
   * Arrivals over the window, minutes since 20:00. The first bin is the 40 % (arrivals are
   * taken to follow bookings); the split of the other 60 % is an assumption: a second wave in the
   * first hour, a tail through the evening, little overnight, and the next working day.
   */
  arrivalBins: [
    { fromMinute: 0, toMinute: 30, share: 0.4 },
    { fromMinute: 30, toMinute: 60, share: 0.12 },
    { fromMinute: 60, toMinute: 180, share: 0.14 },
    { fromMinute: 180, toMinute: 600, share: 0.08 },
    { fromMinute: 600, toMinute: 1320, share: 0.26 },
  ],
} as const;

/**
 * The night's mix. Booked ÷ eligible was 835k ÷ 1.41M ≈ 0.59, so ~35 % of the eligible citizens
 * simulated give up in line (plus those the standard mix makes ineligible, stormy or bots);
 * 2.5 verification starts per booking over 0.59 bookings per citizen is ≈ 1.48 starts per
 * citizen, so ≈ 0.48 abandoned starts on average before the one that completes.
 */
export const NIGHT_2021_08_09_MIX: Mix = {
  ...DEFAULT_MIX,
  giveUp: 1 - NIGHT_2021_08_09.bookedByWindowEnd / NIGHT_2021_08_09.eligible - DEFAULT_MIX.change - DEFAULT_MIX.cancel,
  extraVerifications: (NIGHT_2021_08_09.verificationAttemptsPerBooking * NIGHT_2021_08_09.bookedByWindowEnd) / NIGHT_2021_08_09.eligible - 1,
};

/** Replay compresses the 22-h window into this many seconds by default (this machine's few minutes). */
export const REPLAY_SECONDS_DEFAULT = 300;

/** The population factor: simulated citizens ÷ the night's eligible people. */
export function replayScale(citizens: number): number {
  return citizens / NIGHT_2021_08_09.eligible;
}

/** Citizens simulated for a given factor (--scale). */
export function citizensForScale(scale: number): number {
  return Math.max(1, Math.round(NIGHT_2021_08_09.eligible * scale));
}
