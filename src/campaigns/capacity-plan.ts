/**
 * What a capacity file does to the slots, decided from what was read under the locks (pure): the
 * new dose-1 capacities, the dose-2 capacities that follow, the supply each draws on, and every
 * row that cannot be honoured. Dose 2 follows as the seed made it: a dose-2 slot's capacity is the
 * sum of the dose-1 capacity (same clinic and vaccine) whose dose-2 day it is, so every dose 1
 * booked has its dose 2 behind it. A slot is created only with supply behind it (the week's
 * delivery of that vaccine at that clinic), and no supply is allocated beyond its doses.
 */
import { addDays } from '../rules/time.ts';
import { csvProblem, type CsvProblem } from './csv.ts';
import type { CapacityWrites, NewSlot, SlotKey, SlotRow, SupplyKey, SupplyRow } from './capacity-sql.ts';

/** A row that passed the field and reference checks. */
export interface CapacityRow {
  readonly row: number;
  readonly clinicId: string;
  readonly day: string;
  readonly vaccineId: string;
  readonly capacity: number;
}

export interface CapacityState {
  readonly rows: readonly CapacityRow[];
  /** Every dose-1 slot of the rows' clinic × vaccine pairs. */
  readonly dose1: readonly SlotRow[];
  /** The dose-2 slots at dose2Keys(rows). */
  readonly dose2: readonly SlotRow[];
  readonly supply: readonly SupplyRow[];
  /** Dose-1 day → dose-2 day (two-dose campaigns), else null. */
  readonly dose2DayOf: ((day: string) => string) | null;
}

export interface CapacityPlan {
  readonly problems: CsvProblem[];
  readonly writes: CapacityWrites;
  /** Rows whose dose-1 capacity changes (or whose slot is created). */
  readonly imported: number;
}

export const slotKey = (k: SlotKey): string => `${k.clinicId}|${k.day}|${k.vaccineId}`;
const supplyKey = (k: SupplyKey): string => `${k.clinicId}|${k.vaccineId}|${k.weekStart}`;

/** The Monday of the day's week: supply is delivered per week (supply.week_start, date_trunc('week')). */
export function weekStartOf(day: string): string {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return addDays(day, -((weekday + 6) % 7));
}

/** The dose-2 slots the rows feed. */
export function dose2Keys(rows: readonly CapacityRow[], dose2DayOf: ((day: string) => string) | null): SlotKey[] {
  if (!dose2DayOf) return [];
  const keys = new Map<string, SlotKey>();
  for (const r of rows) {
    const k = { clinicId: r.clinicId, day: dose2DayOf(r.day), vaccineId: r.vaccineId };
    keys.set(slotKey(k), k);
  }
  return [...keys.values()];
}

/** The supply rows a plan may draw on: existing slots' and the weeks of slots the rows may create. */
export function supplyNeeds(s: Omit<CapacityState, 'supply'>): { ids: number[]; keys: SupplyKey[] } {
  const ids = new Set([...s.dose1, ...s.dose2].map((x) => x.supplyId));
  const keys = new Map<string, SupplyKey>();
  for (const r of s.rows) {
    const days = s.dose2DayOf ? [r.day, s.dose2DayOf(r.day)] : [r.day];
    for (const day of days) {
      const k = { clinicId: r.clinicId, vaccineId: r.vaccineId, weekStart: weekStartOf(day) };
      keys.set(supplyKey(k), k);
    }
  }
  return { ids: [...ids], keys: [...keys.values()] };
}

class Ledger {
  readonly problems: CsvProblem[] = [];
  readonly supplyDeltas = new Map<number, number>();
  readonly newAllocation = new Map<number, number>();
  readonly slotCapacities = new Map<number, number>();
  readonly newSlots: NewSlot[] = [];
  /** Supply id → rows that add to its allocation. */
  readonly adders = new Map<number, Set<CapacityRow>>();

  constructor(readonly supplyById: ReadonlyMap<number, SupplyRow>, readonly supplyByKey: ReadonlyMap<string, SupplyRow>) {}

  /** A slot's capacity from `from` (null: no slot yet) to `to`; false when it needs supply there is none of. */
  change(slot: SlotRow | null, key: SlotKey, dose: 1 | 2, to: number, rows: readonly CapacityRow[]): boolean {
    if (slot) {
      if (to === slot.capacity) return true;
      this.slotCapacities.set(slot.id, to);
      this.supplyDeltas.set(slot.supplyId, (this.supplyDeltas.get(slot.supplyId) ?? 0) + (to - slot.capacity));
      if (to > slot.capacity) this.addedBy(slot.supplyId, rows);
      return true;
    }
    if (to === 0) return true;
    const supply = this.supplyByKey.get(supplyKey({ clinicId: key.clinicId, vaccineId: key.vaccineId, weekStart: weekStartOf(key.day) }));
    if (!supply) return false;
    this.newSlots.push({ ...key, dose, supplyId: supply.id, capacity: to });
    this.newAllocation.set(supply.id, (this.newAllocation.get(supply.id) ?? 0) + to);
    this.addedBy(supply.id, rows);
    return true;
  }

  private addedBy(supplyId: number, rows: readonly CapacityRow[]): void {
    const set = this.adders.get(supplyId) ?? new Set<CapacityRow>();
    for (const r of rows) set.add(r);
    this.adders.set(supplyId, set);
  }

  checkSupply(): void {
    for (const [id, rows] of this.adders) {
      const p = this.supplyById.get(id);
      if (!p) continue;
      const total = p.allocated + (this.supplyDeltas.get(id) ?? 0) + (this.newAllocation.get(id) ?? 0);
      if (total <= p.doses) continue;
      for (const r of rows) {
        this.problems.push(csvProblem(r.row, 'capacity', 'OVER_SUPPLY',
          `Over the confirmed supply of ${p.vaccineId} at this clinic for the week of ${p.weekStart}: ${p.doses} doses, ${total} would be allocated (dose 1 and dose 2).`,
          `${p.weekStart} 주의 확보 물량(${p.vaccineId} ${p.doses}회분)을 넘습니다. 1·2차 합계 ${total}회분이 배정됩니다.`));
      }
    }
  }
}

export function planCapacity(s: CapacityState): CapacityPlan {
  const ledger = new Ledger(new Map(s.supply.map((p) => [p.id, p])), new Map(s.supply.map((p) => [supplyKey(p), p])));
  const dose1ByKey = new Map(s.dose1.map((x) => [slotKey(x), x]));
  let imported = 0;
  for (const r of s.rows) {
    const slot = dose1ByKey.get(slotKey(r)) ?? null;
    const booked = slot ? slot.capacity - slot.remaining : 0;
    if (r.capacity < booked) {
      ledger.problems.push(csvProblem(r.row, 'capacity', 'BELOW_BOOKED', `${booked} dose(s) are booked on this day: capacity cannot go below that.`, `이 날 이미 ${booked}명이 예약했습니다. 그보다 적게 정할 수 없습니다.`));
      continue;
    }
    if (!ledger.change(slot, r, 1, r.capacity, [r])) {
      ledger.problems.push(csvProblem(r.row, 'vaccine', 'NO_SUPPLY', `No confirmed supply of ${r.vaccineId} at this clinic for the week of ${weekStartOf(r.day)}: a new day needs a delivery behind it.`, `${weekStartOf(r.day)} 주에 이 의료기관의 ${r.vaccineId} 확보 물량이 없습니다. 새 접종일에는 물량이 필요합니다.`));
      continue;
    }
    if (slot ? slot.capacity !== r.capacity : r.capacity > 0) imported++;
  }
  if (s.dose2DayOf) planDose2(s, s.dose2DayOf, ledger);
  ledger.checkSupply();
  return {
    problems: ledger.problems,
    writes: { supplyDeltas: ledger.supplyDeltas, slotCapacities: ledger.slotCapacities, newSlots: ledger.newSlots },
    imported,
  };
}

/** Each dose-2 slot the rows feed: the sum of its dose-1 days' new capacities. */
function planDose2(s: CapacityState, dose2DayOf: (day: string) => string, ledger: Ledger): void {
  const capacity1 = new Map(s.dose1.map((x) => [slotKey(x), x.capacity]));
  for (const r of s.rows) capacity1.set(slotKey(r), r.capacity);
  const feeders = new Map<string, CapacityRow[]>();
  for (const r of s.rows) {
    const k = slotKey({ clinicId: r.clinicId, day: dose2DayOf(r.day), vaccineId: r.vaccineId });
    feeders.set(k, [...(feeders.get(k) ?? []), r]);
  }
  const target = new Map<string, number>();
  for (const [k1, capacity] of capacity1) {
    const [clinicId = '', day = '', vaccineId = ''] = k1.split('|');
    const k2 = slotKey({ clinicId, day: dose2DayOf(day), vaccineId });
    if (feeders.has(k2)) target.set(k2, (target.get(k2) ?? 0) + capacity);
  }
  const dose2ByKey = new Map(s.dose2.map((x) => [slotKey(x), x]));
  for (const [k2, rows] of feeders) {
    const to = target.get(k2) ?? 0;
    const slot = dose2ByKey.get(k2) ?? null;
    const first = rows[0] as CapacityRow;
    const key = { clinicId: first.clinicId, day: dose2DayOf(first.day), vaccineId: first.vaccineId };
    const booked = slot ? slot.capacity - slot.remaining : 0;
    if (to < booked) {
      for (const r of rows) ledger.problems.push(csvProblem(r.row, 'capacity', 'DOSE2_BELOW_BOOKED', `Dose 2 of this day is on ${key.day}, where ${booked} dose(s) are booked: dose-1 capacity feeding it cannot total less.`, `이 날의 2차 접종일(${key.day})에 이미 ${booked}명이 예약했습니다. 그보다 적게 정할 수 없습니다.`));
      continue;
    }
    if (!ledger.change(slot, key, 2, to, rows)) {
      for (const r of rows) ledger.problems.push(csvProblem(r.row, 'vaccine', 'NO_SUPPLY_DOSE2', `Dose 2 of this day is on ${key.day}: no confirmed supply of ${key.vaccineId} at this clinic for the week of ${weekStartOf(key.day)}.`, `이 날의 2차 접종일(${key.day})이 있는 ${weekStartOf(key.day)} 주에 이 의료기관의 ${key.vaccineId} 확보 물량이 없습니다.`));
    }
  }
}
