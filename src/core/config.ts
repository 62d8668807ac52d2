import { randomBytes } from 'node:crypto';
import { parseProviderSettings, type ProviderSettingsSpec } from '../identity/providers/settings.ts';

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
  readonly adminToken: string;
  readonly adminTokenGenerated: boolean;
  /** Key for the RRN keyed hash (HMAC-SHA256). Changing it orphans every stored person. */
  readonly rrnHashSecret: string;
  /** Key that signs session tokens. */
  readonly sessionSecret: string;
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
  readonly queueStateRefreshMs: number;
  readonly queueTickMs: number;
  readonly joinPerIpPerMin: number;
  /** Joins are taken from this long before a window opens (src/campaigns/join-window.ts); earlier → CAMPAIGN_CLOSED. */
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
  /** Identity starts per person (keyed by the RRN's keyed hash) per hour. */
  readonly challengesPerPersonPerHour: number;
  /** Per-method provider settings (YEYAK_IDENTITY_PROVIDERS, JSON; see src/identity/providers/settings.ts). */
  readonly identityProviders: ProviderSettingsSpec;
  /** Base URL of an HTTP verification service for every method (src/identity/providers/http.ts); null = none. */
  readonly identityHttpUrl: string | null;
  /** Bearer token sent to that service; null = none. */
  readonly identityHttpToken: string | null;
}

const DEV_SECRET = 'yeyak-dev-secret-not-for-production';

export const defaults = {
  port: 8080,
  host: '0.0.0.0',
  databaseUrl: null,
  dataDir: './.yeyak',
  redisUrl: null,
  now: null,
  identity: 'sandbox',
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
  queueStateRefreshMs: 250, // a node re-reads the line's counters at least this often
  queueTickMs: 250, // the admission controller steps this often
  joinPerIpPerMin: 30, // joins per client address per minute
  queueJoinLeadMs: 60 * 60 * 1000, // 1 h: the pre-queue forms in the hour before the opening
  deviceLockMs: 10 * 60 * 1000, // 10 min: the August 2021 one-device rule
  challengesPerIpPerMin: 600, // 600/min per address: carrier NAT puts many phones behind one address
  challengesPerPhonePerHour: 60, // 60/h per phone: a family phone verifies several people (sandbox: off)
  challengesPerPersonPerHour: 20, // 20/h per person: retries, method changes, several devices
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
  deviceLockMs: 'YEYAK_DEVICE_LOCK_MS',
  challengesPerIpPerMin: 'YEYAK_CHALLENGES_PER_IP_PER_MIN',
  challengesPerPhonePerHour: 'YEYAK_CHALLENGES_PER_PHONE_PER_HOUR',
  challengesPerPersonPerHour: 'YEYAK_CHALLENGES_PER_PERSON_PER_HOUR',
  identityProviders: 'YEYAK_IDENTITY_PROVIDERS',
  identityHttpUrl: 'YEYAK_IDENTITY_HTTP_URL',
  identityHttpToken: 'YEYAK_IDENTITY_HTTP_TOKEN',
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

function queueKeys(spec: string | null, production: boolean): string {
  if (spec === null && production) throw new ConfigError('YEYAK_QUEUE_KEYS is required when NODE_ENV=production');
  if (spec !== null && !/^[A-Za-z0-9_-]{1,16}:[^,]{16,}(,[A-Za-z0-9_-]{1,16}:[^,]{16,})*$/.test(spec)) {
    throw new ConfigError('YEYAK_QUEUE_KEYS must be kid:secret[,kid:secret…] with secrets of at least 16 characters');
  }
  return spec ?? `dev:${DEV_SECRET}`;
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
  const identity = str(get('identity'), defaults.identity) as string;
  if (identity !== 'sandbox' && identity !== 'off') throw new ConfigError('YEYAK_IDENTITY must be sandbox or off');
  if (identity === 'sandbox' && production && env.YEYAK_IDENTITY === 'sandbox') {
    throw new ConfigError('YEYAK_IDENTITY=sandbox is refused when NODE_ENV=production');
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

  const secret = (k: 'rrnHashSecret' | 'sessionSecret') => {
    const v = str(get(k), null);
    if (v === null && production) throw new ConfigError(`${envNames[k]} is required when NODE_ENV=production`);
    if (v !== null && v.length < 16) throw new ConfigError(`${envNames[k]} must be at least 16 characters`);
    return v ?? DEV_SECRET;
  };

  const adminTokenRaw = str(get('adminToken'), null);
  const config: Config = {
    port: int('port', get('port'), defaults.port, 0, 65535),
    host: str(get('host'), defaults.host) as string,
    databaseUrl,
    dataDir: str(get('dataDir'), defaults.dataDir) as string,
    redisUrl,
    now,
    identity: production && env.YEYAK_IDENTITY === undefined ? 'off' : (identity as 'sandbox' | 'off'),
    trustProxy: str(get('trustProxy'), null),
    adminToken: adminTokenRaw ?? randomBytes(18).toString('base64url'),
    adminTokenGenerated: adminTokenRaw === null,
    rrnHashSecret: secret('rrnHashSecret'),
    sessionSecret: secret('sessionSecret'),
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
    queueKeys: queueKeys(str(get('queueKeys'), null), production),
    passTtlMs: int('passTtlMs', get('passTtlMs'), defaults.passTtlMs, 10_000, 3600 * 1000),
    queueStateRefreshMs: int('queueStateRefreshMs', get('queueStateRefreshMs'), defaults.queueStateRefreshMs, 10, 250),
    queueTickMs: int('queueTickMs', get('queueTickMs'), defaults.queueTickMs, 10, 5_000),
    joinPerIpPerMin: int('joinPerIpPerMin', get('joinPerIpPerMin'), defaults.joinPerIpPerMin, 1, 1_000_000),
    queueJoinLeadMs: int('queueJoinLeadMs', get('queueJoinLeadMs'), defaults.queueJoinLeadMs, 0, 7 * 24 * 3600 * 1000),
    deviceLockMs: int('deviceLockMs', get('deviceLockMs'), defaults.deviceLockMs, 0, 24 * 3600 * 1000),
    challengesPerIpPerMin: int('challengesPerIpPerMin', get('challengesPerIpPerMin'), defaults.challengesPerIpPerMin, 1, 1_000_000),
    challengesPerPhonePerHour: int(
      'challengesPerPhonePerHour',
      get('challengesPerPhonePerHour'),
      identity === 'sandbox' && !production && identityHttpUrl === null ? 0 : defaults.challengesPerPhonePerHour,
      0,
      1_000_000,
    ),
    challengesPerPersonPerHour: int('challengesPerPersonPerHour', get('challengesPerPersonPerHour'), defaults.challengesPerPersonPerHour, 1, 1_000_000),
    identityProviders,
    identityHttpUrl,
    identityHttpToken: str(get('identityHttpToken'), null),
  };
  return Object.freeze(config);
}
