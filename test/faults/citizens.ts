/**
 * The fault suite's own citizens and their ledger. The rehearsal drives the bulk of the load; these
 * few keep a record of every answer that matters afterwards — each 201 booking number, each refused
 * attempt (its key and slot), each waiting ticket's place as seen poll by poll — which the checks
 * after the faults compare with the database.
 *
 * A citizen: verify (sandbox code), join the line with the session, poll as told (at most every
 * 2 s here, to keep the suite short), book with the pass. A step that fails without a definitive
 * answer (a dropped connection, nginx's 502 when the node holding a POST died, a 5xx, 429 BUSY,
 * 409 PASS_IN_USE while a dead node's lease on the pass runs out) is sent again unchanged — a
 * booking with the same Idempotency-Key, which must give the same booking or a clean refusal.
 */
import { machineMonotonicMs } from '../../src/core/clock.ts';

export const CAMPAIGN = 'korea-2021-08';
const API = '/api/v1';

export interface HttpAnswer {
  status: number;
  /** The node that answered (its Yeyak-Node header: `<host>:<pid>:<random>`), '' for nginx alone. */
  node: string;
  /** The catalogue code of an error answer, 'network' for no answer, '' otherwise. */
  code: string;
  body: Record<string, unknown>;
}

/** A 5xx or a failed request, with the phase of the suite it happened in. */
export interface FailedRequest {
  step: string;
  status: number;
  code: string;
  phase: string;
  atMs: number;
}

export interface BookingAttempt {
  citizen: number;
  key: string;
  clinicId: string;
  date: string;
  outcome: 'booked' | 'refused' | 'unknown';
  bookingNumber?: string;
  /** The refusal's catalogue code. */
  code?: string;
  /** Requests sent with this key (1 = answered first time). */
  sends: number;
}

export interface StatusSeen {
  atMs: number;
  phase: string;
  state: string;
  position: number | null;
  ahead: number;
}

export interface CitizenRecord {
  index: number;
  rrn: string;
  done: 'booked' | 'refused' | 'gave-up' | null;
  ticketPosition: number | null;
  /** Every status answer (valid ticket) in order. */
  statuses: StatusSeen[];
  /** Status answers refusing the ticket (it must stay valid through every fault). */
  ticketRefusals: string[];
  lastError: string;
}

export interface Ledger {
  attempts: BookingAttempt[];
  failed: FailedRequest[];
  citizens: CitizenRecord[];
  /** Verifications refused although the code was right: `<phase>: <status> <code>`. */
  refusedVerifications: string[];
  /** Answers per phase of the suite and node that gave them. */
  answeredBy: Record<string, Record<string, number>>;
}

export interface CitizenOptions {
  target: string;
  count: number;
  /** Citizen i starts at i × 1000 / arrivalPerS ms. */
  arrivalPerS: number;
  /** Clinics to spread bookings over (C000001…). */
  clinics: number;
  /** Every `hotEvery`-th citizen tries the hot clinic-day first (a few doses: refusals happen). */
  hot: { clinicId: string; date: string; every: number };
  /** The suite's current phase, stamped on every failure and status. */
  phase: () => string;
  /** Every citizen stops (gave-up) at this machine-monotonic instant. */
  deadlineMs: number;
  /** Index offset (distinct people from other runs of citizens on the same store). */
  firstIndex?: number;
}

const RETRY_CODES = new Set(['network', 'YEYAK_E_BUSY', 'YEYAK_E_RATE_LIMITED', 'YEYAK_E_IDENTITY_UNAVAILABLE', 'YEYAK_E_PASS_IN_USE']);
const SLOT_REFUSALS = new Set(['YEYAK_E_SLOT_FULL', 'YEYAK_E_DOSE2_FULL', 'YEYAK_E_DATE_NOT_OFFERED']);
const REQUEST_TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Born on the 9th, 19th or 29th between 1972 and 2003: window 1 (9 Aug 20:00) is theirs. */
export function citizenRrn(i: number): string {
  const year = 1975 + (i % 25);
  const month = String(1 + (i % 12)).padStart(2, '0');
  const day = ['09', '19', '29'][i % 3] as string;
  const sex = year >= 2000 ? '3' : '1';
  return `${String(year).slice(2)}${month}${day}-${sex}${String(700_000 + i).padStart(6, '0')}`;
}

export function citizenPhone(i: number): string {
  const n = String(70_000_000 + i).padStart(8, '0');
  return `010-${n.slice(0, 4)}-${n.slice(4)}`;
}

export class Citizens {
  readonly ledger: Ledger = { attempts: [], failed: [], citizens: [], refusedVerifications: [], answeredBy: {} };
  private readonly t0 = machineMonotonicMs();

  constructor(private readonly opts: CitizenOptions) {}

  /** Runs every citizen to its end (booked, refused everywhere, or the deadline). */
  async run(): Promise<Ledger> {
    const first = this.opts.firstIndex ?? 0;
    await Promise.all(
      Array.from({ length: this.opts.count }, async (_, k) => {
        await sleep((k * 1000) / this.opts.arrivalPerS);
        const record: CitizenRecord = { index: first + k, rrn: citizenRrn(first + k), done: null, ticketPosition: null, statuses: [], ticketRefusals: [], lastError: '' };
        this.ledger.citizens.push(record);
        try {
          await this.citizen(record);
        } catch (e) {
          record.done = 'gave-up';
          record.lastError = e instanceof Error ? e.message : String(e);
        }
      }),
    );
    return this.ledger;
  }

  /** One line of where the citizens are, for failure messages. */
  describe(): string {
    const count = <T extends string>(xs: T[]) => Object.entries(xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {})).map(([k, n]) => `${k}×${n}`).join(' ');
    const where = this.ledger.citizens.map((c) => c.done ?? (c.statuses.at(-1)?.state ?? (c.ticketPosition === null ? 'verifying' : 'joined')));
    const failed = this.ledger.failed.map((f) => `${f.phase}: ${f.step} ${f.status} ${f.code}`);
    const refused = this.ledger.attempts.filter((a) => a.outcome === 'refused').map((a) => a.code ?? '');
    const errors = this.ledger.citizens.filter((c) => c.lastError).slice(0, 3).map((c) => `${c.index}: ${c.lastError}`);
    const resent = this.ledger.attempts.filter((a) => a.sends > 1);
    const resentText = `${resent.length} bookings sent more than once with their key (${resent.filter((a) => a.outcome === 'booked').length} booked, once each)`;
    return `citizens [${count(where)}]; refusals [${count(refused)}]; ${resentText}; failed requests [${count(failed)}]; ${errors.join('; ')}`;
  }

  private now(): number {
    return machineMonotonicMs() - this.t0;
  }

  private async send(step: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<HttpAnswer> {
    try {
      const res = await fetch(`${this.opts.target}${path}`, {
        method,
        headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = { text: text.slice(0, 200) };
      }
      const error = parsed.error as { code?: string } | undefined;
      const node = res.headers.get('yeyak-node') ?? '';
      const byNode = (this.ledger.answeredBy[this.opts.phase()] ??= {});
      byNode[node] = (byNode[node] ?? 0) + 1;
      const answer = { status: res.status, node, code: res.status >= 400 ? (error?.code ?? `http-${res.status}`) : '', body: parsed };
      if (res.status >= 500) this.ledger.failed.push({ step, status: res.status, code: answer.code, phase: this.opts.phase(), atMs: this.now() });
      return answer;
    } catch {
      this.ledger.failed.push({ step, status: 0, code: 'network', phase: this.opts.phase(), atMs: this.now() });
      return { status: 0, node: '', code: 'network', body: {} };
    }
  }

  /** Sends until the answer is definitive (not a retryable failure), backing off up to 1 s. */
  private async definitive(step: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<HttpAnswer & { sends: number }> {
    for (let sends = 1; ; sends++) {
      const a = await this.send(step, method, path, headers, body);
      if (a.status !== 0 && a.status < 500 && !RETRY_CODES.has(a.code)) return { ...a, sends };
      if (machineMonotonicMs() > this.opts.deadlineMs) throw new Error(`${step}: no definitive answer before the deadline (last ${a.status} ${a.code}, ${sends} sends)`);
      await sleep(Math.min(1_000, 100 * sends));
    }
  }

  private async verify(record: CitizenRecord, ua: string): Promise<{ token: string; device: string }> {
    for (let tries = 1; tries <= 5; tries++) {
      const start = await this.definitive('identity start', 'POST', `${API}/identity/challenges`, { 'user-agent': ua }, { method: 'phone', name: '시민', rrn: record.rrn, phone: citizenPhone(record.index) });
      if (start.status !== 201) throw new Error(`identity start: ${start.status} ${start.code}`);
      const v = await this.definitive('identity verify', 'POST', `${API}/identity/challenges/${String(start.body.challengeId)}/verify`, { 'user-agent': ua }, { code: '000000' });
      if (v.status === 200) return { token: String(v.body.sessionToken), device: String(v.body.device) };
      record.lastError = `verify: ${v.status} ${v.code}`; // e.g. its answer was lost and the challenge is spent: start again
      this.ledger.refusedVerifications.push(`${this.opts.phase()}: ${v.status} ${v.code}`);
    }
    throw new Error(`verify: gave up (${record.lastError})`);
  }

  private async citizen(record: CitizenRecord): Promise<void> {
    const ua = `yeyak-faults-citizen/${record.index}`;
    const { token, device } = await this.verify(record, ua);
    const who = { authorization: `Bearer ${token}`, 'yeyak-device': device, 'user-agent': ua };
    const joined = await this.definitive('join', 'POST', `${API}/campaigns/${CAMPAIGN}/queue`, who);
    if (joined.status !== 201) throw new Error(`join: ${joined.status} ${joined.code}`);
    const ticket = String(joined.body.ticket);
    record.ticketPosition = typeof joined.body.position === 'number' ? joined.body.position : null;
    const pass = await this.waitForPass(record, ticket, device, ua);
    await this.book(record, { ...who, 'yeyak-pass': pass });
  }

  private async waitForPass(record: CitizenRecord, ticket: string, device: string, ua: string): Promise<string> {
    const headers = { authorization: `Bearer ${ticket}`, 'yeyak-device': device, 'user-agent': ua };
    for (;;) {
      const s = await this.definitive('status', 'GET', `${API}/queue/status`, headers);
      if (s.status !== 200) {
        record.ticketRefusals.push(`${s.status} ${s.code} (${this.opts.phase()})`);
        throw new Error(`status: ${s.status} ${s.code}`);
      }
      const b = s.body as { state: string; position: number | null; ahead: number; pollAfterMs: number; pass?: string };
      record.statuses.push({ atMs: this.now(), phase: this.opts.phase(), state: b.state, position: b.position, ahead: b.ahead });
      if (b.state === 'admitted' && b.pass) return b.pass;
      await sleep(Math.min(2_000, Math.max(200, b.pollAfterMs)));
    }
  }

  private async book(record: CitizenRecord, headers: Record<string, string>): Promise<void> {
    const i = record.index;
    const choices: { clinicId: string; date: string | null }[] = [];
    if (i % this.opts.hot.every === 0) choices.push({ clinicId: this.opts.hot.clinicId, date: this.opts.hot.date });
    for (let k = 0; k < 3; k++) choices.push({ clinicId: `C${String(2 + ((i + k) % (this.opts.clinics - 1))).padStart(6, '0')}`, date: null });
    for (const [n, choice] of choices.entries()) {
      const date = choice.date ?? (await this.firstDate(choice.clinicId));
      if (!date) continue;
      const key = `faults-${i}-${n}`;
      const a = await this.definitive('book', 'POST', `${API}/reservations`, { ...headers, 'idempotency-key': key }, { campaignId: CAMPAIGN, clinicId: choice.clinicId, date });
      const attempt: BookingAttempt = { citizen: i, key, clinicId: choice.clinicId, date, outcome: 'refused', sends: a.sends };
      this.ledger.attempts.push(attempt);
      if (a.status === 201) {
        attempt.outcome = 'booked';
        attempt.bookingNumber = String(a.body.bookingNumber);
        record.done = 'booked';
        return;
      }
      attempt.code = a.code;
      if (!SLOT_REFUSALS.has(a.code)) {
        record.done = 'refused';
        record.lastError = `book: ${a.status} ${a.code}`;
        return;
      }
    }
    record.done = 'refused';
  }

  private async firstDate(clinicId: string): Promise<string | null> {
    const a = await this.definitive('dates', 'GET', `${API}/campaigns/${CAMPAIGN}/clinics/${clinicId}/dates`, {});
    if (a.status !== 200) return null;
    const list = a.body as unknown as { date: string; remaining: number }[];
    return Array.isArray(list) ? (list.find((d) => d.remaining > 0)?.date ?? null) : null;
  }
}
