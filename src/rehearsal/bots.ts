/**
 * The bots: 2 % of the citizens, each trying one bypass of README's bypass suite against the live
 * system. Every attempt must be refused; one that gets through is a broken invariant. A bot is a
 * verified synthetic person (verification is not what they attack here) and then cheats.
 */
import type { Answer } from './loadgen.ts';
import type { CitizenPlan } from './plan.ts';
import type { BotResult } from './summary.ts';
import { browse, join, sessionHeaders, think, verify, waitForPass, type Place, type Session } from './citizen.ts';
import { API, botAttempt, botResult, keepForReadBack, send, setWaiting, type World } from './world.ts';

export const BOT_KINDS = {
  'no-pass': 'book with no pass (the direct link)',
  'ticket-as-pass': 'book with the waiting-room ticket sent as the pass',
  'forged-pass': 'book with an admitted pass altered by one character',
  'borrowed-pass': "book with another citizen's pass, from the bot's own session (with the bot's device, then the owner's)",
  'spent-pass': 'book a second time with the pass already spent on a booking',
  'forged-ticket': 'poll with a ticket altered by one character',
  'join-twice': 'join again without the ticket to hold a second place',
  'fast-poll': 'poll 20× faster than told, to be admitted ahead of others (checked against the FIFO record)',
  'skip-pow': 'join without the proof of work the line asks for',
  'reuse-pow': "join with another citizen's solved proof of work",
} as const;

export type BotKind = keyof typeof BOT_KINDS;
const KINDS = Object.keys(BOT_KINDS) as BotKind[];

/** The kind of the n-th bot to arrive: round robin, so every kind runs once 10 bots came. */
export function botKindOf(n: number): BotKind {
  return KINDS[n % KINDS.length] as BotKind;
}

/** One character of a signed token changed (the middle of its payload), keeping its alphabet. */
export function alter(token: string): string {
  const i = Math.floor(token.length / 3);
  const ch = token[i] === 'A' ? 'B' : 'A';
  return token.slice(0, i) + ch + token.slice(i + 1);
}

const ok = (a: Answer) => a.status >= 200 && a.status < 300;

async function bookWith(world: World, c: CitizenPlan, s: Session, t: number, headers: Record<string, string>, clinicId: string, date: string, key: string): Promise<Answer> {
  return send(world, t, {
    method: 'POST',
    path: `${API}/reservations`,
    endpoint: 'POST /api/v1/reservations',
    headers: { ...sessionHeaders(c, s), 'idempotency-key': `rh-${world.runId}-${c.index}-${key}`, ...headers },
    body: { campaignId: world.campaignId, clinicId, date },
  });
}

type Verified = { s: Session; t: number };

/** Bots that need no place: book with no pass; skip the proof of work. */
async function placeless(world: World, c: CitizenPlan, r: BotResult, kind: BotKind, v: Verified): Promise<void> {
  if (kind === 'no-pass') {
    const goal = await browse(world, c, v.s, v.t);
    if (!goal) return;
    const a = await bookWith(world, c, v.s, goal.at, {}, goal.clinicId, goal.dates[0] as string, 'nopass');
    botAttempt(r, a, ok(a));
    return;
  }
  if (world.powBits === 0) return; // skip-pow: nothing to skip, the line asks no work (attempts stay 0)
  const joined = await join(world, c, v.s, v.t, false, { skipPow: true });
  if ('place' in joined) setWaiting(world, -1);
  botAttempt(r, 'place' in joined ? joined.place.last : joined.refused, 'place' in joined);
}

/** Bots that hold a place and cheat with it before admission. */
async function beforeAdmission(world: World, c: CitizenPlan, r: BotResult, kind: BotKind, v: Verified, place: Place): Promise<void> {
  const at = place.last.endMs;
  if (kind === 'forged-ticket') {
    const a = await send(world, at, { method: 'GET', path: `${API}/queue/status`, endpoint: 'GET /api/v1/queue/status', headers: { 'x-forwarded-for': c.address, authorization: `Bearer ${alter(place.ticket)}` } });
    botAttempt(r, a, ok(a));
  } else if (kind === 'join-twice') {
    const again = await join(world, c, v.s, at, false);
    if ('place' in again) {
      setWaiting(world, -1);
      const first = place.last.json as { position: number | null };
      const second = again.place.last.json as { position: number | null };
      // One place per person: the second join must give the same place (or none at all).
      botAttempt(r, again.place.last, first.position !== null && second.position !== null && first.position !== second.position);
    } else botAttempt(r, again.refused, false);
  } else if (kind === 'ticket-as-pass') {
    const goal = await browse(world, c, v.s, at);
    if (goal) {
      const a = await bookWith(world, c, v.s, goal.at, { 'yeyak-pass': place.ticket }, goal.clinicId, goal.dates[0] as string, 'ticket');
      botAttempt(r, a, ok(a));
    }
  } else if (kind === 'reuse-pow') {
    // The solution this very join spent, offered again for a new place (no ticket): good once only.
    const spent = world.lastPow;
    if (spent) {
      const again = await join(world, c, v.s, at, false, { pow: spent });
      if ('place' in again) setWaiting(world, -1);
      botAttempt(r, 'place' in again ? again.place.last : again.refused, 'place' in again);
    }
  }
  setWaiting(world, -1); // leaves the line
}

/** Bots that are admitted first: a forged pass, a borrowed one, a spent one; the fast poller. */
async function afterAdmission(world: World, c: CitizenPlan, r: BotResult, kind: BotKind, v: Verified, pass: string, at: number): Promise<void> {
  const goal = await browse(world, c, v.s, at + think(world, c));
  if (!goal) return;
  const date = goal.dates[0] as string;
  if (kind === 'forged-pass') {
    const a = await bookWith(world, c, v.s, goal.at, { 'yeyak-pass': alter(pass) }, goal.clinicId, date, 'forged');
    botAttempt(r, a, ok(a));
    return;
  }
  if (kind === 'fast-poll') {
    // Its success would be an admission ahead of its turn: run.ts marks it from the FIFO record.
    botAttempt(r, { status: 200, code: 'admitted' }, false);
    return;
  }
  if (kind === 'borrowed-pass') {
    const stolen = world.lastPass;
    if (!stolen) return;
    const mine = await bookWith(world, c, v.s, goal.at, { 'yeyak-pass': stolen.pass }, goal.clinicId, date, 'borrow1');
    botAttempt(r, mine, ok(mine));
    const theirs = await bookWith(world, c, v.s, mine.endMs, { 'yeyak-pass': stolen.pass, 'yeyak-device': stolen.device }, goal.clinicId, date, 'borrow2');
    botAttempt(r, theirs, ok(theirs));
    return;
  }
  // spent-pass: a real booking first, then the same pass again (another key, another date).
  const first = await bookWith(world, c, v.s, goal.at, { 'yeyak-pass': pass }, goal.clinicId, date, 'spend');
  if (first.status !== 201) return;
  world.counters.booked++;
  const bookingNumber = (first.json as { bookingNumber: string }).bookingNumber;
  keepForReadBack(world, { index: c.index, bookingNumber, token: v.s.token, device: v.s.device, address: c.address, status: 'confirmed', name: c.name, rrn: c.rrn, phone: c.phone });
  const again = await bookWith(world, c, v.s, first.endMs, { 'yeyak-pass': pass }, goal.clinicId, goal.dates[1] ?? date, 'respend');
  botAttempt(r, again, ok(again));
}

const PLACELESS: ReadonlySet<BotKind> = new Set(['no-pass', 'skip-pow']);
const BEFORE_ADMISSION: ReadonlySet<BotKind> = new Set(['forged-ticket', 'join-twice', 'ticket-as-pass', 'reuse-pow']);

export async function runBot(world: World, c: CitizenPlan, arrivalMs: number): Promise<void> {
  world.obs.bot[c.index] = 1;
  const kind = botKindOf(world.botsStarted++);
  const r = botResult(world, kind, BOT_KINDS[kind]);
  const verified = await verify(world, c, arrivalMs);
  if (!verified) return;
  const v = { s: verified.session, t: verified.at + think(world, c) };
  if (PLACELESS.has(kind)) return placeless(world, c, r, kind, v);
  const joined = await join(world, c, v.s, v.t, true);
  if ('refused' in joined) return;
  if (BEFORE_ADMISSION.has(kind)) return beforeAdmission(world, c, r, kind, v, joined.place);
  const waited = await waitForPass(world, c, joined.place, true, kind === 'fast-poll' ? { pollEveryMs: 50 } : {});
  if ('pass' in waited) await afterAdmission(world, c, r, kind, v, waited.pass, waited.at);
}
