/**
 * The identity methods' names and their provider settings (YEYAK_IDENTITY_PROVIDERS): the part of
 * identity that configuration reads and validates at boot. It lives in core because core imports
 * nothing above it; src/identity/providers/{types,settings}.ts re-export it for identity's code.
 */
export const identityMethods = ['phone', 'naver', 'kakao', 'pass', 'certificate'] as const;
export type IdentityMethod = (typeof identityMethods)[number];

export function isIdentityMethod(s: string): s is IdentityMethod {
  return (identityMethods as readonly string[]).includes(s);
}

/**
 * Per-method provider settings, from YEYAK_IDENTITY_PROVIDERS (JSON). Keys are method names or
 * "*" (every method); a method's own entry overrides "*", which overrides the defaults:
 *
 *   YEYAK_IDENTITY_PROVIDERS='{"*": {"timeoutMs": 3000}, "kakao": {"latencyMs": 800, "capacity": 50}}'
 *
 * Sandbox knobs (latencyMs, jitterMs, capacity, failureRate) shape the simulated provider, so a
 * rehearsal can overload one method; the rest protect yeyak from any provider, sandbox or real.
 */
export interface ProviderSettings {
  /** Sandbox: time the simulated provider takes per call, ms. */
  latencyMs: number;
  /** Sandbox: uniformly random extra time per call, 0..jitterMs ms. */
  jitterMs: number;
  /** Sandbox: calls the simulated provider serves at once; more wait their turn (its latency grows). */
  capacity: number;
  /** Sandbox: share of calls that fail as a provider error, 0..1. */
  failureRate: number;
  /** Bulkhead: our calls in flight to this provider at most; one more is refused at once (429). */
  maxInFlight: number;
  /** Each provider call is abandoned after this long, ms. */
  timeoutMs: number;
  /** Consecutive faults (errors, timeouts) that open the circuit breaker. */
  breakerFailures: number;
  /** An open breaker lets one test call through after this long, ms. */
  halfOpenAfterMs: number;
  /** Base URL of an HTTP verification service for this method (overrides YEYAK_IDENTITY_HTTP_URL). */
  url: string | null;
}

export const defaultProviderSettings: Readonly<ProviderSettings> = Object.freeze({
  latencyMs: 0,
  jitterMs: 0,
  capacity: 1_000,
  failureRate: 0,
  maxInFlight: 200, // per node: at ~100 ms a call, ~2,000 verifications/s per method per node
  timeoutMs: 5_000, // a citizen waits at most 5 s for a code or a push to be sent
  breakerFailures: 5,
  halfOpenAfterMs: 10_000,
  url: null,
});

export type ProviderSettingsSpec = Readonly<Partial<Record<IdentityMethod | '*', Readonly<Partial<ProviderSettings>>>>>;

const numericRanges: Record<Exclude<keyof ProviderSettings, 'url'>, [min: number, max: number, integer: boolean]> = {
  latencyMs: [0, 600_000, false],
  jitterMs: [0, 600_000, false],
  capacity: [1, 1_000_000, true],
  failureRate: [0, 1, false],
  maxInFlight: [1, 1_000_000, true],
  timeoutMs: [1, 600_000, true],
  breakerFailures: [1, 10_000, true],
  halfOpenAfterMs: [1, 3_600_000, true],
};

/** Parses and validates the JSON; throws Error with a message naming the bad key. */
export function parseProviderSettings(json: string | null): ProviderSettingsSpec {
  if (json === null || json.trim() === '') return Object.freeze({});
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('YEYAK_IDENTITY_PROVIDERS is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('YEYAK_IDENTITY_PROVIDERS must be a JSON object');
  const out: Partial<Record<IdentityMethod | '*', Partial<ProviderSettings>>> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key !== '*' && !isIdentityMethod(key)) {
      throw new Error(`YEYAK_IDENTITY_PROVIDERS: unknown method ${JSON.stringify(key)} (use ${identityMethods.join(', ')} or *)`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`YEYAK_IDENTITY_PROVIDERS.${key} must be an object`);
    const entry: Partial<ProviderSettings> = {};
    for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
      if (name === 'url') {
        if (v !== null && (typeof v !== 'string' || !/^https?:\/\/[^\s]+$/.test(v))) throw new Error(`YEYAK_IDENTITY_PROVIDERS.${key}.url must be an http(s) URL`);
        entry.url = v;
        continue;
      }
      const range = numericRanges[name as keyof typeof numericRanges];
      if (!range) throw new Error(`YEYAK_IDENTITY_PROVIDERS.${key}: unknown setting ${JSON.stringify(name)}`);
      const [min, max, integer] = range;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
        throw new Error(`YEYAK_IDENTITY_PROVIDERS.${key}.${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
      }
      entry[name as keyof typeof numericRanges] = v;
    }
    out[key] = Object.freeze(entry);
  }
  return Object.freeze(out);
}

/** The effective settings of one method. */
export function settingsFor(spec: ProviderSettingsSpec, method: IdentityMethod): ProviderSettings {
  return { ...defaultProviderSettings, ...spec['*'], ...spec[method] };
}
