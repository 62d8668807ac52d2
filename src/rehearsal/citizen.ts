/**
 * One simulated citizen, end to end over the real API (README, The API and The waiting room):
 * verify by a method chosen by its light, join the line (proof of work when asked), poll as
 * told, browse 시/도 → 시/군/구 → clinic → date, book with the pass, and some change, cancel, give
 * up or storm. Each step is one request planned at "previous answer + think time".
 */
import { leadingZeroBits, powHash } from '../core/pow-hash.ts';
import type { Answer } from './loadgen.ts';
import type { CitizenPlan } from './plan.ts';
import { API, keepForReadBack, send, setWaiting, type BookingRecord, type World } from './world.ts';

export interface Session {
  token: string;
  device: string;
}

export interface Place {
  ticket: string;
  /** The latest answer (join or poll). */
  last: Answer;
  pass: string | null;
}

const LIGHT_ORDER = ['green', 'yellow', 'red'];
const RETRIES_MAX = 8;

/** A human pause (ms) of 0.3–1.5 s, scaled (tests run with 0). */
export function think(world: World, c: CitizenPlan): number {
  return world.thinkScale * (300 + c.random() * 1200);
}

export function baseHeaders(c: CitizenPlan): Record<string, string> {
  return { 'x-forwarded-for': c.address };
}

export function sessionHeaders(c: CitizenPlan, s: Session): Record<string, string> {
  return { 'x-forwarded-for': c.address, authorization: `Bearer ${s.token}`, 'yeyak-device': s.device };
}

/** How long to wait before asking again: Retry-After, else the given default. */
function backoff(a: Answer, fallbackMs: number): number {
  return a.retryAfterMs ?? fallbackMs;
}

/** The method to verify with: the best light among the available methods, ties broken by chance. */
export function chooseMethod(methods: unknown, random: () => number): string {
  const list = Array.isArray(methods) ? (methods as Array<{ method: string; light: string; available?: boolean }>) : [];
  for (const light of LIGHT_ORDER) {
    const lit = list.filter((m) => m.light === light && m.available !== false);
    if (lit.length) return (lit[Math.floor(random() * lit.length)] as { method: string }).method;
  }
  return 'phone';
}

/**
 * Verification: the methods' lights, then challenge + code; abandoned starts first (the replay's
 * ~2.5 starts per booking), a wrong code for some. Null when it could not verify.
 */
export async function verify(world: World, c: CitizenPlan, t0: number): Promise<{ session: Session; at: number } | null> {
  const h = baseHeaders(c);
  let a = await send(world, t0, { method: 'GET', path: `${API}/identity/methods`, endpoint: 'GET /api/v1/identity/methods', headers: h });
  const method = chooseMethod(a.json, c.random);
  let abandoned = c.abandonedVerifications;
  for (let attempt = 0; attempt < RETRIES_MAX; attempt++) {
    a = await send(world, a.endMs + think(world, c), {
      method: 'POST',
      path: `${API}/identity/challenges`,
      endpoint: 'POST /api/v1/identity/challenges',
      headers: h,
      body: { method, name: c.name, rrn: c.rrn, phone: c.phone },
    });
    world.counters.verificationStarts++;
    if (a.status === 429 || a.status === 0 || a.status >= 500) {
      a = { ...a, endMs: a.endMs + backoff(a, 1000) };
      continue;
    }
    if (a.status !== 201) return failed(world, a);
    const challengeId = (a.json as { challengeId: string }).challengeId;
    if (abandoned > 0) {
      abandoned--;
      continue; // started, never finished: the code did not come, or the person tried another way
    }
    const verifyPath = `${API}/identity/challenges/${challengeId}/verify`;
    const verifySpec = (code: string) => ({ method: 'POST' as const, path: verifyPath, endpoint: 'POST /api/v1/identity/challenges/{id}/verify', headers: h, body: { code } });
    if (c.wrongCode) {
      a = await send(world, a.endMs + think(world, c), verifySpec('123456'));
      if (a.status !== 400 && a.status !== 401 && a.status !== 403) return failed(world, a);
    }
    a = await send(world, a.endMs + think(world, c), verifySpec('000000'));
    if (a.status === 429 || a.status === 0 || a.status >= 500) {
      a = { ...a, endMs: a.endMs + backoff(a, 1000) };
      continue;
    }
    if (a.status !== 200) return failed(world, a);
    const v = a.json as { sessionToken: string; device: string };
    world.counters.verified++;
    return { session: { token: v.sessionToken, device: v.device }, at: a.endMs };
  }
  return failed(world, a);
}

function failed(world: World, a: Answer): null {
  void a; // counted by status and code as it arrived (run.ts)
  world.counters.failed++;
  return null;
}


/** The nonce for a join's proof of work: sha256(challenge ':' nonce) with `bits` leading zero bits (as src/waiting-room/pow.ts). */
export function solvePow(challenge: string, bits: number): string {
  for (let i = 0; i < 1 << 28; i++) {
    const nonce = i.toString(36);
    if (leadingZeroBits(powHash(challenge, nonce)) >= bits) return nonce;
  }
  throw new Error('no proof-of-work nonce found');
}

export type JoinOutcome = { place: Place } | { refused: Answer };

/** A proof of work for a join: the challenge fetched and solved (the join then carries it). */
export async function proofOfWork(world: World, c: CitizenPlan, s: Session, t: number): Promise<{ pow: { challenge: string; nonce: string }; at: number } | { refused: Answer }> {
  const a = await send(world, t, { method: 'GET', path: `${API}/campaigns/${world.campaignId}/queue/challenge`, endpoint: 'GET /api/v1/campaigns/{id}/queue/challenge', headers: sessionHeaders(c, s) });
  if (a.status !== 200) return { refused: a };
  const { challenge, difficultyBits } = a.json as { challenge: string; difficultyBits: number };
  const nonce = solvePow(challenge, difficultyBits);
  return { pow: { challenge, nonce }, at: a.endMs };
}

/**
 * Joins the line (rate-limited and busy answers retried after Retry-After; proof of work once
 * the line asks for it). `first`: record the join in the observations (FIFO, ETA).
 */
export async function join(world: World, c: CitizenPlan, s: Session, t0: number, first: boolean, extra: { pow?: { challenge: string; nonce: string }; skipPow?: boolean } = {}): Promise<JoinOutcome> {
  let t = t0;
  let a: Answer | null = null;
  for (let attempt = 0; attempt < RETRIES_MAX; attempt++) {
    let pow = extra.pow;
    if (!pow && !extra.skipPow && world.powBits > 0) {
      const solved = await proofOfWork(world, c, s, t);
      if ('refused' in solved) return solved;
      pow = solved.pow;
      t = solved.at;
    }
    a = await send(world, t, { method: 'POST', path: `${API}/campaigns/${world.campaignId}/queue`, endpoint: 'POST /api/v1/campaigns/{id}/queue', headers: sessionHeaders(c, s), ...(pow ? { body: { pow } } : {}) });
    if (a.status === 201) {
      if (pow && !extra.pow) world.lastPow = pow;
      const body = a.json as { ticket: string; position: number | null; etaSeconds: number; state: string; pass?: string };
      if (first) {
        const o = world.obs;
        o.joinSent[c.index] = a.sentMs;
        o.joinRecv[c.index] = a.endMs;
        o.preQueue[c.index] = body.position === null ? 1 : 0;
        if (body.position !== null) o.position[c.index] = body.position;
        o.firstEta[c.index] = body.etaSeconds;
        world.counters.joined++;
      }
      setWaiting(world, 1);
      const place: Place = { ticket: body.ticket, last: a, pass: null };
      if (body.state === 'waiting') observeWaiting(world, c, a, first);
      return { place };
    }
    if ((a.code === 'YEYAK_E_POW_REQUIRED' || a.code === 'YEYAK_E_POW_INVALID') && !extra.skipPow && !extra.pow) {
      // The line asks for work now (or more of it): learn it, solve, join again.
      world.powBits = Math.max(world.powBits, 1);
      t = a.endMs;
      continue;
    }
    if (a.status === 429 || a.status === 0 || a.status >= 500) {
      t = a.endMs + backoff(a, 2000);
      continue;
    }
    return { refused: a };
  }
  return { refused: a as Answer };
}

function observeWaiting(world: World, c: CitizenPlan, a: Answer, first: boolean): void {
  if (!first) return;
  const body = a.json as { position?: number | null };
  const o = world.obs;
  o.lastWaitingSent[c.index] = a.sentMs;
  if ((o.position[c.index] ?? -1) < 0 && typeof body.position === 'number') o.position[c.index] = body.position;
}

export type WaitOutcome = { pass: string; at: number } | { gaveUp: true } | { lapsed: Answer };

/**
 * Polls as told (pollAfterMs, or Retry-After) until the place is admitted with a pass. A citizen
 * who gives up stops after a few polls; `pollEveryMs` overrides the server's pacing (a bot).
 */
export async function waitForPass(world: World, c: CitizenPlan, place: Place, first: boolean, opts: { giveUpAfter?: number; pollEveryMs?: number; onPoll?: (a: Answer) => void } = {}): Promise<WaitOutcome> {
  let a = place.last;
  let polls = 0;
  for (;;) {
    const body = a.json as { state?: string; pass?: string; pollAfterMs?: number; passPending?: boolean };
    if (a.status === 200 || a.status === 201) {
      if (body.state === 'admitted' && first && Number.isNaN(world.obs.admittedRecv[c.index])) {
        world.obs.admittedRecv[c.index] = a.endMs;
        world.counters.admitted++;
      }
      if (body.state === 'admitted' && typeof body.pass === 'string') {
        setWaiting(world, -1);
        return { pass: body.pass, at: a.endMs };
      }
    }
    if (opts.giveUpAfter !== undefined && polls >= opts.giveUpAfter) {
      setWaiting(world, -1);
      return { gaveUp: true };
    }
    const wait = opts.pollEveryMs ?? (a.status === 200 || a.status === 201 ? (body.pollAfterMs ?? 1000) : backoff(a, 2000));
    a = await send(world, a.endMs + wait, { method: 'GET', path: `${API}/queue/status`, endpoint: 'GET /api/v1/queue/status', headers: { 'x-forwarded-for': c.address, authorization: `Bearer ${place.ticket}` } });
    polls++;
    opts.onPoll?.(a);
    if (a.status === 200) {
      if ((a.json as { state?: string }).state === 'waiting') observeWaiting(world, c, a, first);
      continue;
    }
    if (a.status === 429 || a.status === 0 || a.status >= 500) continue;
    setWaiting(world, -1);
    return { lapsed: a };
  }
}

interface Region {
  code: string;
  level: number;
  remaining: number;
}

/** 시/도 → 시/군/구 → clinic → dates: a clinic and its bookable dates (first doses left), or null. */
export async function browse(world: World, c: CitizenPlan, s: Session, t0: number): Promise<{ clinicId: string; dates: string[]; at: number } | null> {
  const h = sessionHeaders(c, s);
  const id = world.campaignId;
  let a = await send(world, t0, { method: 'GET', path: `${API}/campaigns/${id}/regions`, endpoint: 'GET /api/v1/campaigns/{id}/regions', headers: h });
  if (a.status !== 200) return failed(world, a);
  const regions = (a.json as Region[]).filter((r) => r.level === 2 && r.remaining > 0);
  if (regions.length === 0) return null;
  for (let tries = 0; tries < 3; tries++) {
    const region = regions[Math.floor(c.random() * regions.length)] as Region;
    a = await send(world, a.endMs + think(world, c), { method: 'GET', path: `${API}/campaigns/${id}/clinics?region=${region.code}`, endpoint: 'GET /api/v1/campaigns/{id}/clinics', headers: h });
    if (a.status !== 200) return failed(world, a);
    const clinics = (a.json as Array<{ id: string; remaining: number }>).filter((k) => k.remaining > 0);
    if (clinics.length === 0) continue;
    // People pick among the first few listed (near home, or the first on the screen): hot spots.
    const clinic = clinics[Math.floor(c.random() * Math.min(5, clinics.length))] as { id: string };
    a = await send(world, a.endMs + think(world, c), { method: 'GET', path: `${API}/campaigns/${id}/clinics/${clinic.id}/dates`, endpoint: 'GET /api/v1/campaigns/{id}/clinics/{clinicId}/dates', headers: h });
    if (a.status !== 200) return failed(world, a);
    const dates = (a.json as Array<{ date: string; remaining: number }>).filter((d) => d.remaining > 0).map((d) => d.date);
    if (dates.length) return { clinicId: clinic.id, dates, at: a.endMs };
  }
  return null;
}

const FULL = new Set(['YEYAK_E_SLOT_FULL', 'YEYAK_E_DOSE2_FULL', 'YEYAK_E_DATE_NOT_OFFERED', 'YEYAK_E_SUPPLY_EXHAUSTED']);

/** POST /reservations with the pass; a full date → the next one. Storm citizens send each attempt 4× at once. */
export async function book(world: World, c: CitizenPlan, s: Session, pass: string, choice: { clinicId: string; dates: string[]; at: number }, storm: boolean): Promise<{ bookingNumber: string; date: string; at: number } | null> {
  let t = choice.at + think(world, c);
  let last: Answer | null = null;
  for (let attempt = 0; attempt < Math.min(RETRIES_MAX, choice.dates.length + 3); attempt++) {
    const date = choice.dates[Math.min(attempt, choice.dates.length - 1)] as string;
    const spec = {
      method: 'POST' as const,
      path: `${API}/reservations`,
      endpoint: 'POST /api/v1/reservations',
      headers: { ...sessionHeaders(c, s), 'idempotency-key': `rh-${world.runId}-${c.index}-${attempt}`, 'yeyak-pass': pass },
      body: { campaignId: world.campaignId, clinicId: choice.clinicId, date },
    };
    const answers = storm ? await Promise.all([0, 1, 2, 3].map(() => send(world, t, spec))) : [await send(world, t, spec)];
    const created = answers.filter((x) => x.status === 201);
    if (storm) {
      world.storms.storms++;
      const numbers = new Set(created.map((x) => (x.json as { bookingNumber: string }).bookingNumber));
      if (numbers.size > 1) world.storms.splitBookings++;
    }
    const a = created[0] ?? (answers.find((x) => x.status !== 409 || x.code !== 'YEYAK_E_PASS_IN_USE') as Answer | undefined) ?? (answers[0] as Answer);
    last = a;
    if (a.status === 201) {
      const n = (a.json as { bookingNumber: string }).bookingNumber;
      world.counters.booked++;
      world.lastPass = { pass, device: s.device };
      return { bookingNumber: n, date, at: Math.max(...answers.map((x) => x.endMs)) };
    }
    if (a.status === 429 || a.status === 0 || a.status >= 500 || a.code === 'YEYAK_E_PASS_IN_USE') {
      t = a.endMs + backoff(a, 1000);
      continue;
    }
    if (a.code !== null && FULL.has(a.code)) {
      t = a.endMs + think(world, c);
      continue;
    }
    world.counters.failed++;
    return null;
  }
  if (last) world.counters.failed++;
  return null;
}

/** Verified → joined → admitted → browse → book → maybe change or cancel (after joining again). */
export async function runCitizen(world: World, c: CitizenPlan, arrivalMs: number): Promise<void> {
  const v = await verify(world, c, arrivalMs);
  if (!v) return;
  const s = v.session;
  const h = sessionHeaders(c, s);
  const elig = await send(world, v.at + think(world, c), { method: 'GET', path: `${API}/campaigns/${world.campaignId}/eligibility`, endpoint: 'GET /api/v1/campaigns/{id}/eligibility', headers: h });
  if (elig.status !== 200) {
    failed(world, elig);
    return;
  }
  const joined = await join(world, c, s, elig.endMs + think(world, c), true);
  if ('refused' in joined) {
    const code = joined.refused.code;
    if (code === 'YEYAK_E_NOT_ELIGIBLE' || code === 'YEYAK_E_WINDOW_CLOSED' || code === 'YEYAK_E_CAMPAIGN_CLOSED') world.counters.ineligible++;
    else failed(world, joined.refused);
    return;
  }
  const waited = await waitForPass(world, c, joined.place, true, c.behaviour === 'give-up' ? { giveUpAfter: c.givesUpAfterPolls } : {});
  if ('gaveUp' in waited) {
    world.counters.gaveUp++;
    return;
  }
  if ('lapsed' in waited) {
    failed(world, waited.lapsed);
    return;
  }
  const choice = await browse(world, c, s, waited.at + think(world, c));
  // Giving up at the last screen too: admitted at once, looked at the dates, left.
  if (!choice || c.behaviour === 'give-up') {
    world.counters.gaveUp++;
    return;
  }
  const booked = await book(world, c, s, waited.pass, choice, c.kind === 'storm');
  if (!booked) return;
  const record: BookingRecord = { index: c.index, bookingNumber: booked.bookingNumber, token: s.token, device: s.device, address: c.address, status: 'confirmed', name: c.name, rrn: c.rrn, phone: c.phone };
  // Kept at once (a stop mid-change must not lose it); a cancel below updates the kept record.
  keepForReadBack(world, record);
  if (c.behaviour !== 'change' && c.behaviour !== 'cancel') return;
  await changeOrCancel(world, c, s, h, record, booked, choice.dates);
}

/** A change or a cancel is a booking write: on a queue campaign it needs a new pass (join again). */
async function changeOrCancel(world: World, c: CitizenPlan, s: Session, h: Record<string, string>, record: BookingRecord, booked: { bookingNumber: string; date: string; at: number }, dates: string[]): Promise<void> {
  const again = await join(world, c, s, booked.at + think(world, c) * 3, false);
  if ('refused' in again) {
    failed(world, again.refused);
    return;
  }
  const waitedAgain = await waitForPass(world, c, again.place, false);
  if (!('pass' in waitedAgain)) {
    if ('lapsed' in waitedAgain) failed(world, waitedAgain.lapsed);
    return;
  }
  const writeHeaders = { ...h, 'yeyak-pass': waitedAgain.pass };
  const path = `${API}/reservations/${booked.bookingNumber}`;
  if (c.behaviour === 'cancel') {
    const a = await send(world, waitedAgain.at + think(world, c), { method: 'DELETE', path, endpoint: 'DELETE /api/v1/reservations/{n}', headers: writeHeaders });
    if (a.status !== 200) {
      failed(world, a);
      return;
    }
    world.counters.cancelled++;
    record.status = 'cancelled';
    return;
  }
  const other = dates.find((d) => d !== booked.date);
  const a = other
    ? await send(world, waitedAgain.at + think(world, c), { method: 'PATCH', path, endpoint: 'PATCH /api/v1/reservations/{n}', headers: writeHeaders, body: { date: other } })
    : null;
  if (a?.status === 200) world.counters.changed++;
}
