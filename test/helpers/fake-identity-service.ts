import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sandboxCi } from '../../src/identity/registry.ts';
import { isForeignerDigit, SANDBOX_CODE, type VerifiedIdentity } from '../../src/identity/providers/types.ts';

/**
 * A local HTTP verification service that speaks the contract of ./http.ts, for tests, rehearsals
 * and the bench: an operator's gateway stand-in on 127.0.0.1 (a random port). It accepts
 * SANDBOX_CODE for every transaction it started and vouches, like the sandbox, for the CI of the
 * phone it was given (sandboxCi: the subscriber) with the birth date and sex digit stated. It can be told
 * to misbehave: answer a status, answer garbage, hang, hold requests until released (a
 * controllable latency, no sleeps), or vouch for another identity than the one stated.
 */
export type FakeBehaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number }
  | { kind: 'malformed' }
  | { kind: 'pending' }
  /** Verified, but its records differ from what was stated (e.g. another birth date). */
  | { kind: 'identity'; identity: Partial<VerifiedIdentity> }
  /** Never answers (until the client gives up or the service closes). */
  | { kind: 'hang' };

export interface FakeRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface FakeVerificationService {
  url: string;
  /** Every request received, in order. */
  requests: FakeRequest[];
  /** How the next requests are answered (default ok). */
  behave(b: FakeBehaviour): void;
  /** From now on requests wait until release(); returns how many are waiting. */
  hold(): void;
  held(): number;
  /** Resolves once at least n requests are held (event-driven: no polling). */
  whenHeld(n: number): Promise<void>;
  /** Answers every held request (by the behaviour then in force) and stops holding. */
  release(): void;
  /** Connections that closed before an answer (e.g. the client timed out). */
  aborted(): number;
  close(): Promise<void>;
}

export async function startFakeVerificationService(): Promise<FakeVerificationService> {
  const requests: FakeRequest[] = [];
  /** What each started transaction stated (the service's own records of it). */
  const started = new Map<string, { name: string; phone: string; birthDate: string; sexDigit: string }>();
  let behaviour: FakeBehaviour = { kind: 'ok' };
  let holding = false;
  let held: (() => void)[] = [];
  let aborted = 0;
  let waiters: { n: number; resolve: () => void }[] = [];
  const notify = () => {
    const ready = waiters.filter((w) => held.length >= w.n);
    waiters = waiters.filter((w) => held.length < w.n);
    for (const w of ready) w.resolve();
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const answer = (req: FakeRequest, res: ServerResponse) => {
    if (res.destroyed) return;
    const b = behaviour;
    if (b.kind === 'hang') return;
    if (b.kind === 'status') return send(res, b.status, { error: 'fake' });
    if (b.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"status": ');
    }
    const start = /^\/verifications$/.exec(req.path);
    const check = /^\/verifications\/([^/]+)\/check$/.exec(req.path);
    const body = (req.body ?? {}) as { transactionId?: string; code?: string; name?: string; phone?: string; birthDate?: string; sexDigit?: string };
    if (start && typeof body.transactionId === 'string') {
      const { name, phone, birthDate, sexDigit } = body;
      if (typeof name !== 'string' || typeof phone !== 'string' || typeof birthDate !== 'string' || typeof sexDigit !== 'string') {
        return send(res, 400, { error: 'missing fields' });
      }
      started.set(body.transactionId, { name, phone, birthDate, sexDigit });
      return send(res, 201, { transactionId: body.transactionId, status: 'sent' });
    }
    if (check?.[1]) {
      const stated = started.get(decodeURIComponent(check[1]));
      if (!stated) return send(res, 404, { error: 'unknown transaction' });
      if (b.kind === 'pending') return send(res, 200, { status: 'pending' });
      if (body.code !== SANDBOX_CODE) return send(res, 200, { status: 'rejected' });
      const { phone, birthDate, sexDigit } = stated;
      const identity: VerifiedIdentity = { ci: sandboxCi(phone), birthDate, sexDigit, foreigner: isForeignerDigit(sexDigit) };
      return send(res, 200, { status: 'verified', identity: b.kind === 'identity' ? { ...identity, ...b.identity } : identity });
    }
    return send(res, 400, { error: 'not in the contract' });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = null;
      }
      const entry: FakeRequest = { path: (req.url ?? '').split('?')[0] ?? '', headers: req.headers, body };
      requests.push(entry);
      res.on('close', () => {
        if (!res.writableEnded) aborted++;
      });
      if (holding) {
        held.push(() => answer(entry, res));
        notify();
      } else answer(entry, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    behave: (b) => {
      behaviour = b;
    },
    hold: () => {
      holding = true;
    },
    held: () => held.length,
    whenHeld: (n) =>
      new Promise<void>((resolve) => {
        waiters.push({ n, resolve });
        notify();
      }),
    release: () => {
      holding = false;
      const waiting = held;
      held = [];
      for (const go of waiting) go();
    },
    aborted: () => aborted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
