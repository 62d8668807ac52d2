/** Who is signed in to the console (web/shared/staff.ts: the httpOnly cookie, never the token). */
import { staffSession } from '../shared/staff.ts';
import { errorText, t } from './words.ts';

export const staff = staffSession(() => t().signIn, errorText);
export const { guarded } = staff;
