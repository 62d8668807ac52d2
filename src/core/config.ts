import { randomBytes } from 'node:crypto';
import { parseProviderSettings, settingsFor, type ProviderSettingsSpec } from '../identity/providers/settings.ts';
import { identityMethods } from '../identity/providers/types.ts';
import { ADMIN_TOKEN_LENGTH_MIN, GENERATE_KEY_HINT, keyProblem, overlappingKeys, queueKeysProblem, queueSecrets, randomKey, randomQueueKeys, SECRET_LENGTH_MIN } from './keys.ts';

/**
 * Configuration: one defaults table, units in the names. Precedence: flag > env > default.
 * Validated once at boot, then frozen.
 */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** `postgres://…` selects a PostgreSQL server; null means embedded PGlite. */
  readonly databaseUrl: string | null;
  /** Where the embedded store lives; `memory:` keeps it in memory. */
  readonly dataDir: string;
  readonly redisUrl: string | null;
  /** ISO-8601 instant the clock reads at start (rehearsals, demos, tests); null = real time. */
  readonly now: string | null;
  readonly identity: 'sandbox' | 'off';
  readonly trustProxy: string | null;
  /** True when YEYAK_IDENTITY (or the flag) chose `identity`; false when it is the mode's default. */
  readonly identityChosen: boolean;
  readonly adminToken: string;
  readonly adminTokenGenerated: boolean;
  /** Key for the RRN keyed hash (HMAC-SHA256). Changing it orphans every stored person. */
  readonly rrnHashSecret: string;
  /** Key that signs session tokens. */
  readonly sessionSecret: string;
  /**
   * Keys that were not set and hold a random per-process value. `resolveSecrets`
   * (src/core/secrets.ts) replaces them with the data directory's keys, or refuses a server on a
   * shared store (PostgreSQL, Redis) — see there. Empty when every key was set.
   */
  readonly secretsGenerated: readonly SecretName[];
  readonly scenario: string;
  readonly nodeEnv: string;
  readonly dbPoolMax: number;
  readonly bodyLimitBytes: number;
  readonly availabilityRefreshMs: number;
  readonly bookingBatchMax: number;
  readonly sessionTtlMs: number;
  readonly challengeTtlMs: number;
  readonly statementTimeoutMs: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: string;
  /** `kid:secret,…` signing waiting-room tickets and passes; the first signs, all verify. */
  readonly queueKeys: string;
  readonly passTtlMs: number;
  /** An admitted place must be claimed (its pass fetched) within this long of its admission. */
  readonly queueClaimWindowMs: number;
  readonly queueStateRefreshMs: number;
  readonly queueTickMs: number;
  readonly joinPerIpPerMin: number;
  /** Joins are taken from this long before a window opens (src/rules/join-window.ts); earlier → CAMPAIGN_CLOSED. */
  readonly queueJoinLeadMs: number;
  /** One device at a time: after a verification, other devices of that person are refused this long (0 = off). */
  readonly deviceLockMs: number;
  /** Identity starts (POST /identity/challenges) per client address per minute. */
  readonly challengesPerIpPerMin: number;
  /**
   * Identity starts per phone number per hour (0 = off). It guards phones against floods of
   * codes; default 60, but off when verification is the built-in sandbox (no message is sent)
   * unless set explicitly.
   */
  readonly challengesPerPhonePerHour: number;
  /** Identity starts per person and phone (the keyed hash of RRN + phone: no lock-out by a stranger) per hour. */
  readonly challengesPerPersonPerHour: number;
  /** Per-method provider settings (YEYAK_IDENTITY_PROVIDERS, JSON; see src/identity/providers/settings.ts). */
  readonly identityProviders: ProviderSettingsSpec;
  /** Base URL of an HTTP verification service for every method (src/identity/providers/http.ts); null = none. */
  readonly identityHttpUrl: string | null;
  /** Bearer token sent to that service; null = none. */
  readonly identityHttpToken: string | null;
  /** An Idempotency-Key answers retries this long after its booking; then it is free again. */
  readonly idempotencyTtlMs: number;
  /** identity_challenge rows (name, phone) are deleted this long after they expire. */
  readonly challengeRetentionGraceMs: number;
  /** Delivered outbox rows (sent_at set) are deleted this long after delivery; undelivered ones stay. */
  readonly outboxRetentionMs: number;
  /** The retention job runs this often (src/operations/retention.ts). */
  readonly retentionIntervalMs: number;
  /** Rows per DELETE statement of the retention job. */
  readonly retentionBatchRows: number;
}

/** The keys a node must share with every other node of its store. */
export type SecretName = 'rrnHashSecret' | 'sessionSecret' | 'queueKeys';

export const defaults = {
  port: 8080,
  // Loopback (127.0.0.1 and ::1): the embedded default's sandbox identity is not reachable from
  // the network. HOST=0.0.0.0 behind a load balancer or in a container.
  host: 'localhost',
  databaseUrl: null,
  dataDir: './.yeyak',
  redisUrl: null,
  now: null,
  identity: 'sandbox', // unset: the sandbox in the embedded default only; 'off' on a shared store or in production
  trustProxy: null,
  scenario: 'demo',
  nodeEnv: 'development',
  dbPoolMax: 16, // connections per node; PgBouncer-sized, not per-request
  bodyLimitBytes: 16 * 1024, // 16 KiB: every request body here is a few hundred bytes
  availabilityRefreshMs: 500, // 0.5 s: availability staleness bound is 2× this
  bookingBatchMax: 256, // bookings per database transaction on the hot path
  sessionTtlMs: 30 * 60 * 1000, // 30 min
  challengeTtlMs: 5 * 60 * 1000, // 5 min
  statementTimeoutMs: 5_000, // 5 s: a booking transaction that takes longer is a bug
  shutdownGraceMs: 10_000, // 10 s to drain on SIGTERM
  logLevel: 'info',
  passTtlMs: 10 * 60 * 1000, // 10 min to finish booking once admitted
  queueClaimWindowMs: 5 * 60 * 1000, // 5 min to take up an admitted place, then it lapses
  queueStateRefreshMs: 250, // a node re-reads the line's counters at least this often
  queueTickMs: 250, // the admission controller steps this often
  joinPerIpPerMin: 30, // joins per client address per minute
  queueJoinLeadMs: 60 * 60 * 1000, // 1 h: the pre-queue forms in the hour before the opening
  deviceLockMs: 10 * 60 * 1000, // 10 min: the August 2021 one-device rule
  challengesPerIpPerMin: 600, // 600/min per address: carrier NAT puts many phones behind one address
  challengesPerPhonePerHour: 60, // 60/h per phone: a family phone verifies several people (sandbox: off)
  challengesPerPersonPerHour: 20, // 20/h per person: retries, method changes, several devices
  idempotencyTtlMs: 24 * 3600 * 1000, // 24 h: a client's retries come within seconds; a day covers an app restored from a backup
  challengeRetentionGraceMs: 60 * 60 * 1000, // 1 h after expiry: support can still see a failed verification
  outboxRetentionMs: 7 * 24 * 3600 * 1000, // 7 days after delivery: "did the message go out?"
  retentionIntervalMs: 60_000, // the retention job runs once a minute
  retentionBatchRows: 1_000, // rows per DELETE: short row locks, bounded WAL per statement
} as const;

export type ConfigInput = Partial<Record<keyof Config, string | number | undefined | null>>;

const envNames: Partial<Record<keyof Config, string>> = {
  port: 'PORT',
  host: 'HOST',
  databaseUrl: 'DATABASE_URL',
  dataDir: 'YEYAK_DATA_DIR',
  redisUrl: 'REDIS_URL',
  now: 'YEYAK_NOW',
  identity: 'YEYAK_IDENTITY',
  trustProxy: 'YEYAK_TRUST_PROXY',
  adminToken: 'YEYAK_ADMIN_TOKEN',
  rrnHashSecret: 'YEYAK_RRN_SECRET',
  sessionSecret: 'YEYAK_SESSION_SECRET',
  scenario: 'YEYAK_SCENARIO',
  nodeEnv: 'NODE_ENV',
  dbPoolMax: 'YEYAK_DB_POOL_MAX',
  logLevel: 'YEYAK_LOG_LEVEL',
  queueKeys: 'YEYAK_QUEUE_KEYS',
  joinPerIpPerMin: 'YEYAK_JOIN_PER_IP_PER_MIN',
  queueJoinLeadMs: 'YEYAK_QUEUE_JOIN_LEAD_MS',
  queueClaimWindowMs: 'YEYAK_QUEUE_CLAIM_WINDOW_MS',
  deviceLockMs: 'YEYAK_DEVICE_LOCK_MS',
  challengesPerIpPerMin: 'YEYAK_CHALLENGES_PER_IP_PER_MIN',
  challengesPerPhonePerHour: 'YEYAK_CHALLENGES_PER_PHONE_PER_HOUR',
  challengesPerPersonPerHour: 'YEYAK_CHALLENGES_PER_PERSON_PER_HOUR',
  identityProviders: 'YEYAK_IDENTITY_PROVIDERS',
  identityHttpUrl: 'YEYAK_IDENTITY_HTTP_URL',
  identityHttpToken: 'YEYAK_IDENTITY_HTTP_TOKEN',
  idempotencyTtlMs: 'YEYAK_IDEMPOTENCY_TTL_MS',
  challengeRetentionGraceMs: 'YEYAK_CHALLENGE_RETENTION_GRACE_MS',
  outboxRetentionMs: 'YEYAK_OUTBOX_RETENTION_MS',
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function pick(key: keyof Config, flags: ConfigInput, env: NodeJS.ProcessEnv): string | number | null | undefined {
  if (flags[key] !== undefined && flags[key] !== null) return flags[key];
  const envName = envNames[key];
  if (envName && env[envName] !== undefined && env[envName] !== '') return env[envName];
  return undefined;
}

function int(key: keyof Config, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null) return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${key} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return n;
}

function str(value: unknown, fallback: string | null): string | null {
  if (value === undefined || value === null) return fallback;
  return String(value);
}

function checkKeysDistinct(keys: readonly { name: string; value: string }[]): void {
  const problem = overlappingKeys(keys);
  if (problem) throw new ConfigError(problem);
}

function checkKey(envName: string, value: string, lengthMin = SECRET_LENGTH_MIN): string {
  const problem = keyProblem(value, lengthMin);
  if (problem) throw new ConfigError(`${envName} ${problem}; generate one with: ${GENERATE_KEY_HINT}`);
  return value;
}

/** `kid:secret[,kid:secret…]`, each secret a key (keys.ts); refused with a ConfigError. */
export function checkQueueKeys(spec: string): string {
  const problem = queueKeysProblem(spec);
  if (problem) throw new ConfigError(problem);
  return spec;
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

export function loadConfig(flags: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const get = (k: keyof Config) => pick(k, flags, env);
  const nodeEnv = str(get('nodeEnv'), defaults.nodeEnv) as string;
  const production = nodeEnv === 'production';

  const databaseUrl = str(get('databaseUrl'), null);
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const redisUrl = str(get('redisUrl'), null);
  if (redisUrl !== null && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('REDIS_URL must start with redis:// or rediss://');
  }
  const now = str(get('now'), null);
  if (now !== null && (!/(Z|[+-]\d\d:?\d\d)$/.test(now) || Number.isNaN(new Date(now).getTime()))) {
    throw new ConfigError(`YEYAK_NOW must be an ISO-8601 instant with an offset, got ${now}`);
  }
  let identityProviders: ProviderSettingsSpec;
  try {
    identityProviders = parseProviderSettings(str(get('identityProviders'), null));
  } catch (e) {
    throw new ConfigError(e instanceof Error ? e.message : String(e));
  }
  const identityHttpUrl = str(get('identityHttpUrl'), null);
  if (identityHttpUrl !== null && !/^https?:\/\/[^\s]+$/.test(identityHttpUrl)) {
    throw new ConfigError('YEYAK_IDENTITY_HTTP_URL must be an http:// or https:// URL');
  }
  const host = str(get('host'), defaults.host) as string;
  const { identity, identityChosen } = identityMode(get, {
    production,
    embedded: databaseUrl === null && redisUrl === null,
    host,
    sandboxServes: sandboxServes(identityProviders, identityHttpUrl),
  });
  const keys = secretKeys(get, production);

  const adminTokenRaw = str(get('adminToken'), null);
  if (adminTokenRaw !== null) checkKey('YEYAK_ADMIN_TOKEN', adminTokenRaw, ADMIN_TOKEN_LENGTH_MIN);
  checkKeysDistinct([
    { name: 'YEYAK_RRN_SECRET', value: keys.rrnHashSecret },
    { name: 'YEYAK_SESSION_SECRET', value: keys.sessionSecret },
    ...queueSecrets(keys.queueKeys),
    ...(adminTokenRaw !== null ? [{ name: 'YEYAK_ADMIN_TOKEN', value: adminTokenRaw }] : []),
  ]);
  const config: Config = {
    port: int('port', get('port'), defaults.port, 0, 65535),
    host,
    databaseUrl,
    dataDir: str(get('dataDir'), defaults.dataDir) as string,
    redisUrl,
    now,
    identity,
    identityChosen,
    trustProxy: str(get('trustProxy'), null),
    adminToken: adminTokenRaw ?? randomBytes(18).toString('base64url'),
    adminTokenGenerated: adminTokenRaw === null,
    ...keys,
    scenario: str(get('scenario'), defaults.scenario) as string,
    nodeEnv,
    dbPoolMax: int('dbPoolMax', get('dbPoolMax'), defaults.dbPoolMax, 1, 500),
    bodyLimitBytes: int('bodyLimitBytes', get('bodyLimitBytes'), defaults.bodyLimitBytes, 1024, 1024 * 1024),
    availabilityRefreshMs: int('availabilityRefreshMs', get('availabilityRefreshMs'), defaults.availabilityRefreshMs, 10, 60_000),
    bookingBatchMax: int('bookingBatchMax', get('bookingBatchMax'), defaults.bookingBatchMax, 1, 10_000),
    sessionTtlMs: int('sessionTtlMs', get('sessionTtlMs'), defaults.sessionTtlMs, 1000, 24 * 3600 * 1000),
    challengeTtlMs: int('challengeTtlMs', get('challengeTtlMs'), defaults.challengeTtlMs, 1000, 3600 * 1000),
    statementTimeoutMs: int('statementTimeoutMs', get('statementTimeoutMs'), defaults.statementTimeoutMs, 100, 600_000),
    shutdownGraceMs: int('shutdownGraceMs', get('shutdownGraceMs'), defaults.shutdownGraceMs, 0, 600_000),
    logLevel: str(get('logLevel'), defaults.logLevel) as string,
    passTtlMs: int('passTtlMs', get('passTtlMs'), defaults.passTtlMs, 10_000, 3600 * 1000),
    queueClaimWindowMs: int('queueClaimWindowMs', get('queueClaimWindowMs'), defaults.queueClaimWindowMs, 10_000, 3600 * 1000),
    queueStateRefreshMs: int('queueStateRefreshMs', get('queueStateRefreshMs'), defaults.queueStateRefreshMs, 10, 250),
    queueTickMs: int('queueTickMs', get('queueTickMs'), defaults.queueTickMs, 10, 5_000),
    joinPerIpPerMin: int('joinPerIpPerMin', get('joinPerIpPerMin'), defaults.joinPerIpPerMin, 1, 1_000_000),
    queueJoinLeadMs: int('queueJoinLeadMs', get('queueJoinLeadMs'), defaults.queueJoinLeadMs, 0, 7 * 24 * 3600 * 1000),
    deviceLockMs: int('deviceLockMs', get('deviceLockMs'), defaults.deviceLockMs, 0, 24 * 3600 * 1000),
    challengesPerIpPerMin: int('challengesPerIpPerMin', get('challengesPerIpPerMin'), defaults.challengesPerIpPerMin, 1, 1_000_000),
    challengesPerPhonePerHour: int(
      'challengesPerPhonePerHour',
      get('challengesPerPhonePerHour'),
      identity === 'sandbox' && identityHttpUrl === null ? 0 : defaults.challengesPerPhonePerHour,
      0,
      1_000_000,
    ),
    challengesPerPersonPerHour: int('challengesPerPersonPerHour', get('challengesPerPersonPerHour'), defaults.challengesPerPersonPerHour, 1, 1_000_000),
    identityProviders,
    identityHttpUrl,
    identityHttpToken: str(get('identityHttpToken'), null),
    idempotencyTtlMs: int('idempotencyTtlMs', get('idempotencyTtlMs'), defaults.idempotencyTtlMs, 60_000, 30 * 24 * 3600 * 1000),
    challengeRetentionGraceMs: int('challengeRetentionGraceMs', get('challengeRetentionGraceMs'), defaults.challengeRetentionGraceMs, 0, 30 * 24 * 3600 * 1000),
    outboxRetentionMs: int('outboxRetentionMs', get('outboxRetentionMs'), defaults.outboxRetentionMs, 0, 365 * 24 * 3600 * 1000),
    retentionIntervalMs: int('retentionIntervalMs', get('retentionIntervalMs'), defaults.retentionIntervalMs, 1_000, 3600 * 1000),
    retentionBatchRows: int('retentionBatchRows', get('retentionBatchRows'), defaults.retentionBatchRows, 1, 100_000),
  };
  return Object.freeze(config);
}

type Get = (k: keyof Config) => string | number | null | undefined;

/**
 * The identity mode. Unset, it is the sandbox only in the embedded default (no DATABASE_URL, no
 * REDIS_URL, not production) — and even there never on a non-loopback HOST unless chosen.
 */
function identityMode(
  get: Get,
  mode: { production: boolean; embedded: boolean; host: string; sandboxServes: boolean },
): { identity: 'sandbox' | 'off'; identityChosen: boolean } {
  const chosen = str(get('identity'), null);
  if (chosen !== null && chosen !== 'sandbox' && chosen !== 'off') throw new ConfigError('YEYAK_IDENTITY must be sandbox or off');
  if (chosen === 'sandbox' && mode.production) throw new ConfigError('YEYAK_IDENTITY=sandbox is refused when NODE_ENV=production');
  const identity = chosen ?? (mode.embedded && !mode.production ? defaults.identity : 'off');
  if (identity === 'sandbox' && chosen === null && mode.sandboxServes && !isLoopbackHost(mode.host)) {
    throw new ConfigError(
      `HOST=${mode.host} makes this server reachable from the network, and its identity verification would be the sandbox ` +
        '(the code 000000 verifies anyone). Set YEYAK_IDENTITY=sandbox to accept that (a demo or a rehearsal), ' +
        'or set YEYAK_IDENTITY_HTTP_URL to a real verification service, or leave HOST unset (loopback).',
    );
  }
  return { identity, identityChosen: chosen !== null };
}

/** The keys as set (each checked), or random per-process values listed in secretsGenerated. */
function secretKeys(get: Get, production: boolean): Pick<Config, SecretName | 'secretsGenerated'> {
  const generated: SecretName[] = [];
  const take = (k: SecretName, check: (v: string) => string, make: () => string): string => {
    const v = str(get(k), null);
    if (v !== null) return check(v);
    if (production) throw new ConfigError(`${envNames[k]} is required when NODE_ENV=production; generate one with: ${GENERATE_KEY_HINT}`);
    generated.push(k);
    return make();
  };
  const rrnHashSecret = take('rrnHashSecret', (v) => checkKey('YEYAK_RRN_SECRET', v), randomKey);
  const sessionSecret = take('sessionSecret', (v) => checkKey('YEYAK_SESSION_SECRET', v), randomKey);
  const queueKeys = take('queueKeys', checkQueueKeys, randomQueueKeys);
  // One key for two purposes: a leak of one would be a leak of both.
  if (rrnHashSecret === sessionSecret) throw new ConfigError('YEYAK_RRN_SECRET and YEYAK_SESSION_SECRET must differ');
  return { rrnHashSecret, sessionSecret, queueKeys, secretsGenerated: Object.freeze(generated) };
}
