/**
 * `yeyak fairness verify`: what anyone can check of an opening from the public record alone
 * (GET /api/v1/campaigns/{id}/fairness) — the commitment against the revealed seed and nonce, the
 * shuffle recomputed from (seed, P) as a permutation of 1..P with the listed sample, inversions —
 * and, given a ticket of their own, that the place the server gives it is the one the published
 * seed gives. Uses nothing of the server's state: the JSON, SHA-256 and shuffledPosition.
 */
import { commitmentInput, commitmentOf, expectedPosition, SHUFFLE_ALGORITHM } from './fairness.ts';
import type { FairnessRecordJson } from './fairness-record.ts';
import { shuffledPosition } from './permutation.ts';

export interface FairnessCheck {
  name: string;
  /** null: not checkable yet (before the opening) — neither a pass nor a failure. */
  ok: boolean | null;
  detail: string;
}

export const PERMUTATION_CHECK_MAX = 2_000_000; // P up to this is checked whole (~0.3 s per million)

/** Checks on the record alone. */
export function checkRecord(r: FairnessRecordJson): FairnessCheck[] {
  const checks: FairnessCheck[] = [];
  const { seed, shuffle } = r;
  if (!shuffle.enabled) return [{ name: 'shuffle', ok: null, detail: 'this campaign has no pre-queue shuffle' }];
  checks.push({ name: 'algorithm', ok: shuffle.algorithm === SHUFFLE_ALGORITHM, detail: `${shuffle.algorithm} (this verifier: ${SHUFFLE_ALGORITHM})` });
  if (seed.commitment === null) checks.push({ name: 'commitment', ok: null, detail: 'no commitment drawn yet' });
  if (seed.state !== 'revealed' || seed.value === null || shuffle.preQueueSize === null) {
    checks.push({ name: 'reveal', ok: null, detail: `not revealed yet (committed ${seed.committedAt ?? '—'}; opening ${r.opening ?? '—'})` });
    return checks;
  }
  const size = shuffle.preQueueSize;
  const value = seed.value;
  if (seed.commitment !== null && seed.nonce !== null) {
    const input = commitmentInput(r.campaignId, value, seed.nonce);
    const hash = commitmentOf(r.campaignId, value, seed.nonce);
    checks.push({ name: 'commitment', ok: hash === seed.commitment && input === seed.input, detail: `sha256("${input}") = ${hash}; published ${seed.commitment} at ${seed.committedAt}` });
    if (seed.committedAt !== null && r.opening !== null) {
      checks.push({ name: 'committed before the opening', ok: Date.parse(seed.committedAt) < Date.parse(r.opening), detail: `${seed.committedAt} < ${r.opening}` });
    }
  } else {
    checks.push({ name: 'commitment', ok: false, detail: 'seed revealed without a commitment (the line was shuffled before commitments were recorded)' });
  }
  const wrong = shuffle.sample.filter((s) => shuffledPosition(s.number, size, value) !== s.position);
  checks.push({ name: 'sample positions', ok: wrong.length === 0, detail: `${shuffle.sample.length - wrong.length}/${shuffle.sample.length} of the listed places recomputed from (seed ${value}, P ${size})` });
  checks.push(permutationCheck(size, value));
  const inv = r.admissionOrder.inversionsBeyondShuffle;
  checks.push({ name: 'inversions beyond the shuffle', ok: inv === 0, detail: `${inv} of ${r.admissionOrder.recorded} admitted places (0 expected)` });
  return checks;
}

/** Every place of 1..P once: the shuffle is a bijection (nobody shares or loses a place). */
function permutationCheck(size: number, seed: number): FairnessCheck {
  if (size > PERMUTATION_CHECK_MAX) return { name: 'permutation', ok: null, detail: `P = ${size}: too large to check whole here` };
  const seen = new Uint8Array(size + 1);
  for (let n = 1; n <= size; n++) {
    const p = shuffledPosition(n, size, seed);
    if (seen[p]) return { name: 'permutation', ok: false, detail: `place ${p} given twice` };
    seen[p] = 1;
  }
  return { name: 'permutation', ok: true, detail: `numbers 1..${size} take places 1..${size}, each once` };
}

/** A ticket's readable facts (its payload; the signature is the server's business). */
export function ticketFacts(ticket: string): { campaignId: string; seq: number; pre: boolean } | null {
  try {
    const claims = JSON.parse(Buffer.from(ticket.split('.')[1] ?? '', 'base64url').toString('utf8')) as { c?: unknown; s?: unknown; pre?: unknown };
    if (typeof claims.c !== 'string' || typeof claims.s !== 'number' || typeof claims.pre !== 'boolean') return null;
    return { campaignId: claims.c, seq: claims.s, pre: claims.pre };
  } catch {
    return null;
  }
}

/** The ticket's place as the published seed gives it, against the place the server answers. */
export function checkTicket(r: FairnessRecordJson, ticket: string, serverPosition: number | null): FairnessCheck {
  const facts = ticketFacts(ticket);
  if (!facts || facts.campaignId !== r.campaignId) return { name: 'your place', ok: false, detail: 'not a ticket of this campaign' };
  const size = r.shuffle.preQueueSize ?? (r.shuffle.enabled ? null : 0);
  if (size === null) return { name: 'your place', ok: null, detail: 'not checkable before the opening' };
  const expected = expectedPosition(facts, size, r.seed.value);
  const what = facts.pre ? `pre-queue number ${facts.seq} → shuffledPosition(${facts.seq}, ${size}, ${r.seed.value})` : `join number ${facts.seq} → P + ${facts.seq}`;
  return { name: 'your place', ok: expected !== null && expected === serverPosition, detail: `${what} = ${expected}; the server says ${serverPosition}` };
}

export interface VerifyOptions {
  target: string;
  campaignId: string;
  ticket?: string;
}

/** Fetches the record (and the ticket's status) from `target` and checks them. */
export async function verifyFairness(opts: VerifyOptions): Promise<{ record: FairnessRecordJson; checks: FairnessCheck[] }> {
  const base = opts.target.replace(/\/+$/, '');
  const res = await fetch(`${base}/api/v1/campaigns/${encodeURIComponent(opts.campaignId)}/fairness`);
  if (!res.ok) throw new Error(`GET …/fairness answered ${res.status}: ${await res.text()}`);
  const record = (await res.json()) as FairnessRecordJson;
  const checks = checkRecord(record);
  if (opts.ticket !== undefined) {
    const status = await fetch(`${base}/api/v1/queue/status`, { headers: { authorization: `Bearer ${opts.ticket}` } });
    const body = (await status.json()) as { position?: number | null };
    checks.push(checkTicket(record, opts.ticket, status.ok ? (body.position ?? null) : null));
  }
  return { record, checks };
}

export function formatChecks(checks: readonly FairnessCheck[]): string {
  return checks.map((c) => `${c.ok === null ? '·' : c.ok ? '✔' : '✘'} ${c.name}: ${c.detail}`).join('\n');
}
