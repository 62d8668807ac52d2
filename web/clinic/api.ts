/**
 * The clinic portal's calls (docs: /docs, the "Clinic portal" routes; sign-in is web/shared/staff.ts). The staff
 * session is the httpOnly `yeyak_staff` cookie; every write sends the `yeyak_staff_csrf` cookie's
 * token as X-CSRF-Token (web/shared/http.ts).
 */
import { call } from '../shared/http.ts';

export type Outcome = 'administered' | 'no_show';

export interface Clinic {
  id: string;
  name: string;
  address: string;
  phone: string;
}

export interface CampaignSummary {
  id: string;
  name: { ko: string; en: string };
  firstShotDay: string;
  lastShotDay: string;
  now: string;
}

export interface CapacityRow {
  date: string;
  vaccineId: string;
  dose: 1 | 2;
  capacity: number;
  remaining: number;
  booked: number;
}

export interface Supply {
  vaccineId: string;
  weekStart: string;
  doses: number;
  allocated: number;
}

export interface CapacityView {
  slots: CapacityRow[];
  supply: Supply[];
}

export interface DoseRow {
  bookingNumber: string;
  campaignId: string;
  dose: 1 | 2;
  vaccine: string;
  name: string;
  birthDate: string;
  outcome: Outcome | null;
}

export interface Leftover {
  id: number;
  campaignId: string;
  vaccineId: string;
  doses: number;
  taken: number;
  until: string;
  releasedAt: string;
  withdrawnAt: string | null;
}

const STAFF = { csrfCookie: 'yeyak_staff_csrf' } as const;
const clinicPath = (clinicId: string) => `admin/clinics/${encodeURIComponent(clinicId)}`;

export const api = {
  campaigns: () => call<CampaignSummary[]>('campaigns'),
  clinic: (clinicId: string) => call<Clinic>(clinicPath(clinicId)),

  async capacity(clinicId: string, campaignId: string, from: string, to: string): Promise<CapacityView> {
    const q = new URLSearchParams({ campaignId, from, to });
    const answer = await call<CapacityView | (CapacityRow[] & { supply?: Supply[] })>(`${clinicPath(clinicId)}/capacity?${q}`);
    // The agreed shape is "rows plus supply": accept an object with both or a bare row list.
    if (Array.isArray(answer)) return { slots: answer, supply: answer.supply ?? [] };
    return { slots: answer.slots ?? [], supply: answer.supply ?? [] };
  },
  setCapacity: (clinicId: string, date: string, body: { campaignId: string; capacity: number; vaccineId: string }) =>
    call<{ capacity: number; remaining: number }>(`${clinicPath(clinicId)}/slots/${date}`, { ...STAFF, method: 'PATCH', body }),

  reservations: (clinicId: string, date: string | null) =>
    call<{ clinicId: string; date: string; reservations: DoseRow[] }>(`${clinicPath(clinicId)}/reservations${date ? `?date=${date}` : ''}`),
  recordDose: (clinicId: string, bookingNumber: string, dose: number, outcome: Outcome) =>
    call<{ outcome: Outcome; correctedFrom: 'no_show' | null }>(`${clinicPath(clinicId)}/doses/${encodeURIComponent(bookingNumber)}/${dose}`, { ...STAFF, method: 'PUT', body: { outcome } }),

  leftovers: (clinicId: string) => call<Leftover[]>(`${clinicPath(clinicId)}/leftovers`),
  release: (clinicId: string, body: { campaignId: string; vaccineId: string; doses: number; until: string }) =>
    call<Leftover>(`${clinicPath(clinicId)}/leftovers`, { ...STAFF, method: 'POST', body }),
  withdraw: (clinicId: string, id: number) =>
    call<Leftover>(`${clinicPath(clinicId)}/leftovers/${id}`, { ...STAFF, method: 'DELETE' }),
};
