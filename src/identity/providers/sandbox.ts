import { sandboxCi } from '../registry.ts';
import { isForeignerDigit, ProviderFault, SANDBOX_CODE, type CheckOutcome, type CheckRequest, type IdentityMethod, type StartRequest, type VerificationProvider } from './types.ts';
import type { ProviderSettings } from './settings.ts';

export type SandboxSettings = Pick<ProviderSettings, 'latencyMs' | 'jitterMs' | 'capacity' | 'failureRate'>;

export interface SandboxOptions {
  /** 0..1; default Math.random (tests pass a fixed sequence). */
  random?: () => number;
  /** Waits `ms` or rejects when the signal aborts; default a timer (tests pass deferred promises). */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

function timerWait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A simulated provider: every method's sandbox. It behaves like a service with a fixed number of
 * workers: at most `capacity` calls are served at once, each taking latencyMs (+ jitter); the
 * rest wait their turn, so pushing more than it can serve makes its latency grow, as a real
 * provider's does on opening night. `failureRate` of calls fail as provider errors. It accepts
 * SANDBOX_CODE and nothing else. Settings can be changed while running (rehearsals, bench).
 *
 * It vouches for what was stated at start: the CI of the phone's subscriber (sandboxCi: one phone
 * is one person at every method) with the birth date and sex digit given. The synthetic
 * resident registry (../registry.ts) then holds the RRN to the first CI that claimed it, so a
 * later claim with another birth date or sex (another RRN) is refused.
 */
export class SandboxProvider implements VerificationProvider {
  readonly kind = 'sandbox' as const;
  private settings: SandboxSettings;
  private active = 0;
  private readonly waiting: { resolve: () => void; reject: (e: unknown) => void; signal: AbortSignal; onAbort: () => void }[] = [];
  private readonly random: () => number;
  private readonly wait: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(
    readonly method: IdentityMethod,
    settings: SandboxSettings,
    opts: SandboxOptions = {},
  ) {
    this.settings = { ...settings };
    this.random = opts.random ?? Math.random;
    this.wait = opts.wait ?? timerWait;
  }

  /** Changes the simulation (e.g. make one provider slow in a rehearsal). */
  tune(patch: Partial<SandboxSettings>): void {
    this.settings = { ...this.settings, ...patch };
    this.pump();
  }

  get current(): Readonly<SandboxSettings> {
    return this.settings;
  }

  /** Calls being served now (not those waiting for a worker). */
  get serving(): number {
    return this.active;
  }

  async start(_req: StartRequest, signal: AbortSignal): Promise<void> {
    await this.serve(signal);
  }

  async check(req: CheckRequest, signal: AbortSignal): Promise<CheckOutcome> {
    await this.serve(signal);
    if (req.code !== SANDBOX_CODE) return { status: 'rejected' };
    const { phone, birthDate, sexDigit } = req.stated;
    return { status: 'verified', identity: { ci: sandboxCi(phone), birthDate, sexDigit, foreigner: isForeignerDigit(sexDigit) } };
  }

  private async serve(signal: AbortSignal): Promise<void> {
    await this.acquire(signal);
    try {
      const { latencyMs, jitterMs, failureRate } = this.settings;
      const ms = latencyMs + (jitterMs > 0 ? this.random() * jitterMs : 0);
      if (ms > 0) await this.wait(ms, signal);
      if (failureRate > 0 && this.random() < failureRate) throw new ProviderFault(`sandbox ${this.method}: simulated provider error`);
    } finally {
      this.active--;
      this.pump();
    }
  }

  private acquire(signal: AbortSignal): Promise<void> | void {
    if (signal.aborted) throw signal.reason;
    if (this.active < this.settings.capacity && this.waiting.length === 0) {
      this.active++;
      return;
    }
    return new Promise<void>((resolve, reject) => {
      const entry = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', entry.onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private pump(): void {
    while (this.active < this.settings.capacity && this.waiting.length > 0) {
      const next = this.waiting.shift();
      if (!next) break;
      next.signal.removeEventListener('abort', next.onAbort);
      this.active++;
      next.resolve();
    }
  }
}
