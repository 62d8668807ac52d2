/**
 * One place per person (verify-first campaigns): each person's number per campaign, kept in the
 * database (queue_person_ticket, sql.ts) so that every node and every device finds the same one.
 */
import type { Queryable } from '../core/db.ts';
import { deletePersonPlace, insertPersonPlace, selectPersonPlace, type PersonPlace } from './sql.ts';

export type { PersonPlace };

export interface PersonPlaces {
  get(campaignId: string, personId: number): Promise<PersonPlace | null>;
  /** Conditional insert: true when stored, false when the person already has a place. */
  insert(campaignId: string, personId: number, place: PersonPlace): Promise<boolean>;
  /** Removes the person's place only if it is still `seq` (a spent place, replaced). */
  remove(campaignId: string, personId: number, seq: number): Promise<void>;
}

export function dbPersonPlaces(db: Queryable): PersonPlaces {
  return {
    get: (campaignId, personId) => selectPersonPlace(db, campaignId, personId),
    insert: (campaignId, personId, place) => insertPersonPlace(db, campaignId, personId, place),
    remove: (campaignId, personId, seq) => deletePersonPlace(db, campaignId, personId, seq),
  };
}

/** Without a database (benchmarks): one process's map, same rules. */
export function memoryPersonPlaces(): PersonPlaces {
  const places = new Map<string, PersonPlace>();
  const key = (c: string, p: number) => `${c}\u0000${p}`;
  return {
    async get(c, p) {
      return places.get(key(c, p)) ?? null;
    },
    async insert(c, p, place) {
      if (places.has(key(c, p))) return false;
      places.set(key(c, p), place);
      return true;
    },
    async remove(c, p, seq) {
      if (places.get(key(c, p))?.seq === seq) places.delete(key(c, p));
    },
  };
}
