/**
 * The auditor's look at a Redis waiting room (REDIS_URL): per campaign, the spent-position bitset
 * against what was issued. The key layout is the waiting room's (src/waiting-room/redis-store.ts,
 * `<prefix>{<campaignId>}:<part>`, prefix `yeyak:q:`); a node passes its store's own `key`
 * function, and test/operations/audit.test.ts spends a position through the real store and finds
 * it here, so the two cannot drift apart unnoticed.
 *
 * Broken, per position: spent and also holding an active pass (a pass issued again after its
 * booking completed — the claim and the use scripts both refuse a spent position, and spending
 * drops the active entry in the same script), spent but never admitted (above admittedUpTo), or
 * holding an active pass but never admitted. One MULTI per campaign, so the three reads are one
 * moment of the line. A line Redis no longer holds (no `init` marker) has nothing to audit: its
 * spent bitset went with it (redis-store.ts: what a restore does not bring back).
 */
import type { Redis } from 'ioredis';
import { EXAMPLES_MAX, type CheckCount } from './audit-sql.ts';

export const QUEUE_KEY_PREFIX = 'yeyak:q:';

export interface PassStore {
  redis: Redis;
  /** The campaign's key for `part` (state, active, spent); default: the layout above with `prefix`. */
  key?: (campaignId: string, part: string) => string;
  /** The layout's prefix when no `key` is given (default `yeyak:q:`). */
  prefix?: string;
}

/** Positions whose bit is set, from `from` on (SETBIT numbers bits from the first byte's high bit). */
function setBitsFrom(bits: Buffer, from: number): number[] {
  const out: number[] = [];
  for (let byte = Math.max(0, Math.floor(from / 8)); byte < bits.length; byte++) {
    const b = bits[byte] ?? 0;
    if (b === 0) continue;
    for (let i = 0; i < 8; i++) {
      const position = byte * 8 + i;
      if (position >= from && (b & (0x80 >> i)) !== 0) out.push(position);
    }
  }
  return out;
}

function isSet(bits: Buffer, position: number): boolean {
  const b = bits[Math.floor(position / 8)] ?? 0;
  return (b & (0x80 >> position % 8)) !== 0;
}

interface LineSnapshot {
  admittedUpTo: number;
  active: number[];
  spent: Buffer;
}

async function snapshot(store: PassStore, campaignId: string): Promise<LineSnapshot | null> {
  const prefix = store.prefix ?? QUEUE_KEY_PREFIX;
  const key = store.key ?? ((id: string, part: string) => `${prefix}{${id}}:${part}`);
  const replies = await store.redis
    .multi()
    .hget(key(campaignId, 'state'), 'init')
    .hget(key(campaignId, 'state'), 'admittedUpTo')
    .zrange(key(campaignId, 'active'), 0, -1)
    .getBuffer(key(campaignId, 'spent'))
    .exec();
  if (!replies) throw new Error('Redis MULTI was aborted');
  for (const [err] of replies) if (err) throw err;
  const [init, upTo, active, spent] = replies.map(([, v]) => v) as [string | null, string | null, string[], Buffer | null];
  if (init === null) return null;
  return { admittedUpTo: Number(upTo ?? 0), active: active.map(Number), spent: spent ?? Buffer.alloc(0) };
}

/** Every campaign's line in Redis: positions spent twice over (see above). Examples `campaign:position`. */
export async function spentPositions(store: PassStore, campaignIds: readonly string[]): Promise<CheckCount> {
  let violations = 0;
  const examples: string[] = [];
  for (const campaignId of campaignIds) {
    const line = await snapshot(store, campaignId);
    if (!line) continue;
    const broken = new Set<number>(setBitsFrom(line.spent, line.admittedUpTo + 1));
    for (const p of line.active) if (isSet(line.spent, p) || p > line.admittedUpTo) broken.add(p);
    violations += broken.size;
    for (const p of [...broken].sort((a, b) => a - b)) {
      if (examples.length < EXAMPLES_MAX) examples.push(`${campaignId}:${p}`);
    }
  }
  return { violations, examples };
}
