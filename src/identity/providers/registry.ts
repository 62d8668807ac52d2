import type client from 'prom-client';
import { HttpProvider } from './http.ts';
import { createIdentityMetrics } from './metrics.ts';
import { REJECTED_SHARE_RED } from './lights.ts';
import { ResilientProvider, unavailableStatus, type CallEvent, type MethodStatus } from './resilient.ts';
import { SandboxProvider, type SandboxOptions } from './sandbox.ts';
import { settingsFor, type ProviderSettingsSpec } from './settings.ts';
import { identityMethods, type IdentityMethod, type VerificationProvider } from './types.ts';

/**
 * Identity saturation as a health factor for the waiting room's admission controller: when the
 * providers fill up, admission slows down instead of letting people pile up at verification.
 * Pressure = calls in flight ÷ the bulkhead capacity of every method still usable (not grey),
 * or the share of attempts turned away for lack of capacity (÷ REJECTED_SHARE_RED), whichever
 * is higher.
 */
export const IDENTITY_PRESSURE_OK = 0.6; // below this, admission runs at full speed
export const IDENTITY_PRESSURE_BAD = 1.0; // at this, admission crawls (HEALTH_FLOOR)
const HEALTH_FLOOR = 0.1;

/** The same shape as the waiting room's HealthSample (src/waiting-room/controller.ts). */
export interface IdentityHealth {
  factor: number;
  reasons: string[];
}

/** Two health samples as one: the lower factor wins; reasons add up. */
export function combineHealth(a: IdentityHealth, b: IdentityHealth): IdentityHealth {
  return { factor: Math.min(a.factor, b.factor), reasons: [...a.reasons, ...b.reasons] };
}

export interface ProviderRegistryConfig {
  identity: 'sandbox' | 'off';
  identityProviders: ProviderSettingsSpec;
  identityHttpUrl: string | null;
  identityHttpToken: string | null;
}

export interface ProviderRegistryOptions {
  /** Register the identity metrics here (the app's registry). */
  metricsRegistry?: client.Registry;
  log?: (level: 'info' | 'warn', msg: string, fields: Record<string, unknown>) => void;
  nowMs?: () => number;
  wallMs?: () => number;
  sandbox?: SandboxOptions;
  fetch?: typeof fetch;
}

/** The providers of this node, one per configured method, each behind its resilience policies. */
export class ProviderRegistry {
  private readonly byMethod: Partial<Record<IdentityMethod, ResilientProvider>>;

  constructor(providers: readonly ResilientProvider[]) {
    this.byMethod = {};
    for (const p of providers) this.byMethod[p.method] = p;
  }

  get(method: IdentityMethod): ResilientProvider | undefined {
    return this.byMethod[method];
  }

  /** The inner provider of a method when it is a sandbox (rehearsals tune it). */
  sandbox(method: IdentityMethod): SandboxProvider | undefined {
    const inner = this.byMethod[method]?.inner;
    return inner instanceof SandboxProvider ? inner : undefined;
  }

  /** All five methods, in the order the page lists them; unconfigured ones are grey. */
  statuses(): MethodStatus[] {
    return identityMethods.map((m) => this.byMethod[m]?.status() ?? unavailableStatus(m));
  }

  health(): IdentityHealth {
    const configured = identityMethods.map((m) => this.byMethod[m]).filter((p): p is ResilientProvider => p !== undefined);
    if (configured.length === 0) return { factor: 1, reasons: [] };
    let inFlight = 0;
    let capacity = 0;
    let attempts = 0;
    let rejected = 0;
    for (const p of configured) {
      const b = p.breakerState();
      if (b === 'open' || b === 'isolated') continue;
      inFlight += p.inFlight;
      capacity += p.settings.maxInFlight;
      const w = p.window.snapshot();
      attempts += w.calls + w.rejected;
      rejected += w.rejected;
    }
    if (capacity === 0) return { factor: HEALTH_FLOOR, reasons: ['no verification method available'] };
    const reasons: string[] = [];
    const share = inFlight / capacity;
    const rejectedShare = attempts > 0 ? rejected / attempts : 0;
    const pressure = Math.max(share, Math.min(1, rejectedShare / REJECTED_SHARE_RED));
    if (pressure <= IDENTITY_PRESSURE_OK) return { factor: 1, reasons };
    if (share > IDENTITY_PRESSURE_OK) reasons.push(`identity verification ${Math.round(share * 100)} % in use`);
    if (rejected > 0) reasons.push(`identity verification turned away ${(rejectedShare * 100).toFixed(1)} %`);
    const f = 1 - ((pressure - IDENTITY_PRESSURE_OK) / (IDENTITY_PRESSURE_BAD - IDENTITY_PRESSURE_OK)) * (1 - HEALTH_FLOOR);
    return { factor: Math.max(HEALTH_FLOOR, Math.min(1, f)), reasons };
  }
}

/**
 * One provider per method: the HTTP adapter where a URL is configured (the method's own `url`
 * or YEYAK_IDENTITY_HTTP_URL), else the sandbox when YEYAK_IDENTITY=sandbox, else none (grey).
 */
export function createProviderRegistry(config: ProviderRegistryConfig, opts: ProviderRegistryOptions = {}): ProviderRegistry {
  let onCall: ((e: CallEvent) => void) | undefined;
  const providers: ResilientProvider[] = [];
  for (const method of identityMethods) {
    const settings = settingsFor(config.identityProviders, method);
    const url = settings.url ?? config.identityHttpUrl;
    let inner: VerificationProvider | null = null;
    if (url) inner = new HttpProvider(method, { baseUrl: url, token: config.identityHttpToken, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
    else if (config.identity === 'sandbox') inner = new SandboxProvider(method, settings, opts.sandbox);
    if (!inner) continue;
    providers.push(
      new ResilientProvider(inner, {
        settings,
        ...(opts.nowMs ? { nowMs: opts.nowMs } : {}),
        ...(opts.wallMs ? { wallMs: opts.wallMs } : {}),
        ...(opts.log ? { log: opts.log } : {}),
        onCall: (e) => onCall?.(e),
      }),
    );
  }
  const registry = new ProviderRegistry(providers);
  if (opts.metricsRegistry) onCall = createIdentityMetrics(opts.metricsRegistry, () => registry.statuses());
  return registry;
}
