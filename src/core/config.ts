import { randomBytes } from 'node:crypto';
import { ConfigError } from './config-parsers.ts';
import { configTable, isComputed, type ComputedKey, type ConfigKey, type TableConfig } from './config-table.ts';
import { identityMethods, settingsFor, type ProviderSettingsSpec } from './identity-settings.ts';
import { GENERATE_KEY_HINT, overlappingKeys, queueSecrets, randomKey, randomQueueKeys } from './keys.ts';
import { checkNotifySettings } from './notify-settings.ts';

export { checkQueueKeys, ConfigError } from './config-parsers.ts';
export { configTable, defaults, logLevels, scenarioNames, type KnownScenario } from './config-table.ts';

/**
 * Configuration: one table (config-table.ts), units in the names. Precedence: flag > env >
 * default. Validated once at boot, then frozen.
 */
export interface Config extends TableConfig {
  /** True when YEYAK_IDENTITY (or the flag) chose `identity`; false when it is the mode's default. */
  readonly identityChosen: boolean;
  /** True when YEYAK_SCENARIO (or the flag) chose `scenario`: a store without it is then refused. */
  readonly scenarioChosen: boolean;
  readonly adminTokenGenerated: boolean;
  /**
   * Keys that were not set and hold a random per-process value. `resolveSecrets`
   * (src/core/secrets.ts) replaces them with the data directory's keys, or refuses a server on a
   * shared store (PostgreSQL, Redis) — see there. Empty when every key was set.
   */
  readonly secretsGenerated: readonly SecretName[];
}

/** The keys a node must share with every other node of its store. */
export type SecretName = 'rrnHashSecret' | 'sessionSecret' | 'queueKeys';

/** Flags, by key: each overrides its env variable. null and undefined mean "not given". */
export type ConfigInput = Partial<Record<ConfigKey, string | number | undefined | null>>;

type Given = Partial<TableConfig>;

/** What messages call a key: its env variable, else its name. */
function nameOf(key: ConfigKey): string {
  return configTable[key].env ?? key;
}

/** A key's value as given (flag > env; an empty env variable is unset), or undefined. */
function raw(key: ConfigKey, flags: ConfigInput, env: NodeJS.ProcessEnv): string | number | undefined {
  const flag = flags[key];
  if (flag !== undefined && flag !== null) return flag;
  const name = configTable[key].env;
  const value = name === null ? undefined : env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Every key given by a flag or the environment, parsed (and so validated) by its row. */
function readGiven(flags: ConfigInput, env: NodeJS.ProcessEnv): Given {
  const given: Record<string, unknown> = {};
  for (const key of Object.keys(configTable) as ConfigKey[]) {
    const value = raw(key, flags, env);
    if (value !== undefined) given[key] = configTable[key].parse(value, nameOf(key));
  }
  return given as Given;
}

/** The given values over the plain defaults; the computed keys are worked out by loadConfig. */
function withDefaults(given: Given): Omit<TableConfig, ComputedKey> {
  const out: Record<string, unknown> = {};
  for (const [key, row] of Object.entries(configTable)) {
    if (!isComputed(row.default)) out[key] = given[key as ConfigKey] ?? row.default;
  }
  return out as Omit<TableConfig, ComputedKey>;
}

export function loadConfig(flags: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const given = readGiven(flags, env);
  const base = withDefaults(given);
  const production = base.nodeEnv === 'production';
  checkNotifySettings(base);
  const { identity, identityChosen } = identityMode(given.identity, {
    production,
    embedded: base.databaseUrl === null && base.redisUrl === null,
    host: base.host,
    sandboxServes: sandboxServes(base.identityProviders, base.identityHttpUrl),
  });
  const keys = secretKeys(given, production);
  const adminToken = given.adminToken;
  checkKeysDistinct([
    { name: nameOf('rrnHashSecret'), value: keys.rrnHashSecret },
    { name: nameOf('sessionSecret'), value: keys.sessionSecret },
    ...queueSecrets(keys.queueKeys),
    ...(adminToken !== undefined ? [{ name: nameOf('adminToken'), value: adminToken }] : []),
  ]);
  const config: Config = {
    ...base,
    identity,
    identityChosen,
    scenarioChosen: given.scenario !== undefined,
    adminToken: adminToken ?? randomBytes(18).toString('base64url'),
    adminTokenGenerated: adminToken === undefined,
    ...keys,
    // No message is sent by the sandbox, so its phones need no guard unless one is set.
    challengesPerPhonePerHour:
      given.challengesPerPhonePerHour ?? (identity === 'sandbox' && base.identityHttpUrl === null ? 0 : base.challengesPerPhonePerHour),
  };
  return Object.freeze(config);
}

function checkKeysDistinct(keys: readonly { name: string; value: string }[]): void {
  const problem = overlappingKeys(keys);
  if (problem) throw new ConfigError(problem);
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOST.test(host);
}

/** Does the sandbox answer for at least one method (one with no HTTP service configured)? */
function sandboxServes(spec: ProviderSettingsSpec, httpUrl: string | null): boolean {
  return identityMethods.some((m) => (settingsFor(spec, m).url ?? httpUrl) === null);
}

/** The sandbox identity is on and answers for some method (src/identity/providers/registry.ts). */
export function sandboxInUse(config: Pick<Config, 'identity' | 'identityProviders' | 'identityHttpUrl'>): boolean {
  return config.identity === 'sandbox' && sandboxServes(config.identityProviders, config.identityHttpUrl);
}

/**
 * The identity mode. Unset, it is the sandbox only in the embedded default (no DATABASE_URL, no
 * REDIS_URL, not production) — and even there never on a non-loopback HOST unless chosen.
 */
function identityMode(
  chosen: Config['identity'] | undefined,
  mode: { production: boolean; embedded: boolean; host: string; sandboxServes: boolean },
): { identity: Config['identity']; identityChosen: boolean } {
  if (chosen === 'sandbox' && mode.production) throw new ConfigError('YEYAK_IDENTITY=sandbox is refused when NODE_ENV=production');
  const identity = chosen ?? (mode.embedded && !mode.production ? 'sandbox' : 'off');
  if (identity === 'sandbox' && chosen === undefined && mode.sandboxServes && !isLoopbackHost(mode.host)) {
    throw new ConfigError(
      `HOST=${mode.host} makes this server reachable from the network, and its identity verification would be the sandbox ` +
        '(the code 000000 verifies anyone). Set YEYAK_IDENTITY=sandbox to accept that (a demo or a rehearsal), ' +
        'or set YEYAK_IDENTITY_HTTP_URL to a real verification service, or leave HOST unset (loopback).',
    );
  }
  return { identity, identityChosen: chosen !== undefined };
}

/** The keys as set (each checked by its row), or random per-process values listed in secretsGenerated. */
function secretKeys(given: Given, production: boolean): Pick<Config, SecretName | 'secretsGenerated'> {
  const generated: SecretName[] = [];
  const take = (k: SecretName, make: () => string): string => {
    const v = given[k];
    if (v !== undefined) return v;
    if (production) throw new ConfigError(`${nameOf(k)} is required when NODE_ENV=production; generate one with: ${GENERATE_KEY_HINT}`);
    generated.push(k);
    return make();
  };
  const rrnHashSecret = take('rrnHashSecret', randomKey);
  const sessionSecret = take('sessionSecret', randomKey);
  const queueKeys = take('queueKeys', randomQueueKeys);
  // One key for two purposes: a leak of one would be a leak of both.
  if (rrnHashSecret === sessionSecret) throw new ConfigError('YEYAK_RRN_SECRET and YEYAK_SESSION_SECRET must differ');
  return { rrnHashSecret, sessionSecret, queueKeys, secretsGenerated: Object.freeze(generated) };
}
