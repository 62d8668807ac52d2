/** A booster's cohort by earlier doses (issue #11) on the citizen pages, in English (typed as the Korean source). */
import type { Shape } from '../shape.ts';
import type { booster as ko } from '../ko/booster.ts';

export const booster: Shape<typeof ko> = {
  cohort: (days: number) => `People whose last dose was at least ${days} days ago (whichever vaccine they had)`,
  bornBy: (day: string) => `born on or before ${day}`,
  oneDose: 'One dose: there is no second dose to book.',
  tooSoonTitle: 'Not yet time for your booster',
  tooSoon: (lastDose: string, days: number) => `Your last dose was on ${lastDose}. A booster can be given ${days} days after it.`,
  eligibleFrom: (day: string) => `You can book from ${day}.`,
  noDoseTitle: 'No earlier dose on record',
  noDose: 'This booking is a booster for people who completed their earlier doses. If you were vaccinated elsewhere, ask your public health centre to register your vaccination record.',
  lastDose: (day: string) => `Last dose: ${day}`,
  dose: 'Booster',
  receiptNote: 'The booster is one dose: there is no second dose to book.',
};
