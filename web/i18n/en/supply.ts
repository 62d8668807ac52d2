import type { Shape } from '../shape.ts';
import type { supply as ko } from '../ko/supply.ts';

export const supply: Shape<typeof ko> = {
  soldOutTitle: 'Vaccine supply used up',
  landing: 'All confirmed vaccine doses are booked. When doses come back (cancellations or a new delivery), you can book here again.',
  waiting: 'All confirmed vaccine doses are booked, so admission has stopped. Your place is kept and the line moves on by itself when doses come back.',
  joinRefused: 'All confirmed vaccine doses are booked, so the waiting room takes nobody new now. Keep this page open: it tries again by itself when doses come back.',
};
