import { isIP } from 'node:net';
import { parseProviderSettings, type ProviderSettingsSpec } from './identity-settings.ts';
import { GENERATE_KEY_HINT, keyProblem, queueKeysProblem } from './keys.ts';

/**
 * The parsers of the configuration table (config-table.ts): each turns a value as given (an env
 * string, or a flag's string or number) into the typed value, or throws a ConfigError whose
 * message starts with `name` — the env variable, so the operator knows what to fix.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Parser<T> = (value: string | number, name: string) => T;

export function int(min: number, max: number): Parser<number> {
  return (value, name) => {
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `in [${min}, ${max}]`;
      throw new ConfigError(`${name} must be an integer ${range}, got ${String(value)}`);
    }
    return n;
  };
}

export const text: Parser<string> = (value) => String(value);

export const nonEmpty: Parser<string> = (value, name) => {
  const s = String(value);
  if (s.trim() === '') throw new ConfigError(`${name} must not be empty`);
  return s;
};

/** A string matching `pattern`; `what` ends the message ("DATABASE_URL must start with …"). */
export function matching(pattern: RegExp, what: string): Parser<string> {
  return (value, name) => {
    const s = String(value);
    if (!pattern.test(s)) throw new ConfigError(`${name} ${what}`);
    return s;
  };
}

export function oneOf<const T extends string>(choices: readonly T[]): Parser<T> {
  return (value, name) => {
    const s = String(value);
    if (!(choices as readonly string[]).includes(s)) throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(s)}`);
    return s as T;
  };
}

/** An ISO-8601 instant with an explicit offset (a local time would depend on the machine's zone). */
export const instant: Parser<string> = (value, name) => {
  const s = String(value);
  if (!/(Z|[+-]\d\d:?\d\d)$/.test(s) || Number.isNaN(new Date(s).getTime())) {
    throw new ConfigError(`${name} must be an ISO-8601 instant with an offset, got ${s}`);
  }
  return s;
};

/** A key (keys.ts): long, random-looking, never a published value. */
export function key(lengthMin: number): Parser<string> {
  return (value, name) => {
    const s = String(value);
    const problem = keyProblem(s, lengthMin);
    if (problem) throw new ConfigError(`${name} ${problem}; generate one with: ${GENERATE_KEY_HINT}`);
    return s;
  };
}

/** `kid:secret[,kid:secret…]`, each secret a key (keys.ts); refused with a ConfigError. */
export function checkQueueKeys(spec: string): string {
  const problem = queueKeysProblem(spec);
  if (problem) throw new ConfigError(problem);
  return spec;
}

export const queueKeys: Parser<string> = (value) => checkQueueKeys(String(value));

export const providerSettings: Parser<ProviderSettingsSpec> = (value) => {
  try {
    return parseProviderSettings(String(value));
  } catch (e) {
    throw new ConfigError(e instanceof Error ? e.message : String(e));
  }
};

// proxy-addr's names (what Fastify's trustProxy string is compiled by).
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyEntry(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [ip = '', range, ...rest] = entry.split('/');
  const family = isIP(ip);
  if (family === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4; // an IPv4 netmask, 10.0.0.0/255.0.0.0
}

/**
 * What Fastify's trustProxy takes as a string: a comma list of `loopback`, `linklocal`,
 * `uniquelocal`, addresses and CIDR ranges (compiled by proxy-addr). Not `true` (any client could
 * choose its address) and not a hop count (Fastify 5 fails closed on one: it believes nobody).
 */
export const trustProxy: Parser<string> = (value, name) => {
  const entries = String(value)
    .split(',')
    .map((e) => e.trim());
  const bad = entries.find((e) => !isProxyEntry(e));
  if (bad !== undefined) {
    throw new ConfigError(
      `${name} must be a comma list of loopback, linklocal, uniquelocal, addresses and CIDR ranges (the proxies in front); ${JSON.stringify(bad)} is none of these`,
    );
  }
  return entries.join(',');
};
