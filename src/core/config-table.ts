import { ADMIN_TOKEN_LENGTH_MIN, SECRET_LENGTH_MIN } from './keys.ts';
import type { ProviderSettingsSpec } from './identity-settings.ts';
import { instant, int, key, matching, nonEmpty, oneOf, providerSettings, queueKeys, text, trustProxy, type Parser } from './config-parsers.ts';

/**
 * The configuration, one row per key: its env variable, its default, its parser (which validates)
 * and one line of doc; units are in the names. The Config type, the env lookup, the flag override
 * (loadConfig in config.ts) and the README's "## Configuration" table
 * (test/core/config-table.test.ts) all come from here.
 *
 * Why a typed table of parser functions rather than env-schema (a JSON schema run by Ajv): several
 * checks are not expressible as a schema (keys: published values and patterns, src/core/keys.ts;
 * the provider settings JSON; trustProxy's CIDR list), the messages name the env variable and say
 * how to fix it (tests match them), flags arrive as numbers as well as strings, and the Config
 * type follows from the parsers' return types with no second declaration.
 */

/** The scenarios a server can seed; src/scenarios/seed.ts checks its own list against this one. */
export const scenarioNames = ['demo', 'korea-2021-08', 'booster-2021-12'] as const;
export type KnownScenario = (typeof scenarioNames)[number];

/** pino's levels (Fastify's logger), and `silent`. */
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A default that loadConfig works out from other keys (the text says how). */
export interface Computed {
  readonly computed: string;
}

export interface Row<T, D> {
  /** The environment variable; null: set only through loadConfig's first argument (tests, benches). */
  readonly env: string | null;
  readonly default: D;
  readonly parse: Parser<T>;
  readonly doc: string;
  /** The README's default column for this row, when it is not just String(default). */
  readonly readme?: string;
}

function row<T, const D extends T | null | Computed>(r: Row<T, D>): Row<T, D> {
  return r;
}

function computed(how: string): Computed {
  return { computed: how };
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const noProviderSettings: ProviderSettingsSpec = Object.freeze({});

export const configTable = {
  port: row({ env: 'PORT', default: 8080, parse: int(0, 65535), doc: 'HTTP port (0: any free port)' }),
  // Loopback (127.0.0.1 and ::1): the embedded default's sandbox identity is not reachable from
  // the network. HOST=0.0.0.0 behind a load balancer or in a container.
  host: row({
    env: 'HOST',
    default: 'localhost',
    parse: nonEmpty,
    doc: 'address to listen on',
    readme: '`localhost` (what it resolves to on the machine: 127.0.0.1, and ::1 where `/etc/hosts` says so)',
  }),
  databaseUrl: row({
    env: 'DATABASE_URL',
    default: null,
    parse: matching(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://'),
    doc: '`postgres://…` selects a PostgreSQL server; null means embedded PGlite',
    readme: 'embedded',
  }),
  dataDir: row({ env: 'YEYAK_DATA_DIR', default: './.yeyak', parse: text, doc: 'where the embedded store lives; `memory:` keeps it in memory', readme: '`./.yeyak`' }),
  redisUrl: row({
    env: 'REDIS_URL',
    default: null,
    parse: matching(/^rediss?:\/\//, 'must start with redis:// or rediss://'),
    doc: 'the waiting room in Redis, shared by the nodes; null: in-process',
    readme: 'in-process',
  }),
  now: row({ env: 'YEYAK_NOW', default: null, parse: instant, doc: 'ISO-8601 instant the clock reads at start (rehearsals, demos, tests); null = real time', readme: 'real time' }),
  identity: row({
    env: 'YEYAK_IDENTITY',
    default: computed('sandbox in the embedded default (no DATABASE_URL, no REDIS_URL, not production), else off'),
    parse: oneOf(['sandbox', 'off']),
    doc: 'sandbox: every method without a service URL accepts the code 000000',
    readme: '`sandbox` embedded, else `off`',
  }),
  trustProxy: row({ env: 'YEYAK_TRUST_PROXY', default: null, parse: trustProxy, doc: 'the proxies whose X-Forwarded-For is believed: loopback, linklocal, uniquelocal, addresses, CIDR ranges (no hop count)', readme: 'none' }),
  adminToken: row({
    env: 'YEYAK_ADMIN_TOKEN',
    default: computed('random, printed at start'),
    parse: key(ADMIN_TOKEN_LENGTH_MIN),
    doc: 'bearer token of the operator for /api/v1/admin/*',
    readme: 'generated and printed at start',
  }),
  rrnHashSecret: row({
    env: 'YEYAK_RRN_SECRET',
    default: computed('random per process (secretsGenerated); required in production'),
    parse: key(SECRET_LENGTH_MIN),
    doc: 'key of the RRN keyed hash (HMAC-SHA256); changing it orphans every stored person',
    readme: 'embedded: generated once into `<data dir>/secrets.json`; PostgreSQL/Redis: required',
  }),
  sessionSecret: row({
    env: 'YEYAK_SESSION_SECRET',
    default: computed('as rrnHashSecret'),
    parse: key(SECRET_LENGTH_MIN),
    doc: 'key that signs session tokens',
    readme: 'as `YEYAK_RRN_SECRET`',
  }),
  queueKeys: row({
    env: 'YEYAK_QUEUE_KEYS',
    default: computed('as rrnHashSecret'),
    parse: queueKeys,
    doc: '`kid:secret,…` signing waiting-room tickets and passes; the first signs, all verify',
    readme: 'as `YEYAK_RRN_SECRET`',
  }),
  scenario: row({ env: 'YEYAK_SCENARIO', default: 'demo', parse: oneOf(scenarioNames), doc: 'the scenario serve seeds into an empty store', readme: '`demo`' }),
  seedClinics: row({
    env: 'YEYAK_SEED_CLINICS',
    default: null,
    parse: int(1, Number.MAX_SAFE_INTEGER), // the scenario's own limit applies too (src/scenarios/seed.ts)
    doc: "clinics seeded (seed, and serve on an empty store); null: the scenario's",
    readme: "the scenario's",
  }),
  nodeEnv: row({ env: 'NODE_ENV', default: 'development', parse: text, doc: 'production: keys required, no sandbox identity, HSTS, secure cookies', readme: '`development`' }),
  dbPoolMax: row({ env: 'YEYAK_DB_POOL_MAX', default: 16, parse: int(1, 500), doc: 'PostgreSQL connections per node; PgBouncer-sized, not per-request' }),
  logLevel: row({ env: 'YEYAK_LOG_LEVEL', default: 'info', parse: oneOf(logLevels), doc: 'the server log level (pino)', readme: '`info`' }),
  bodyLimitBytes: row({ env: null, default: 16 * 1024, parse: int(1024, 1024 * 1024), doc: 'largest request body; every body here is a few hundred bytes' }),
  availabilityRefreshMs: row({ env: null, default: 500, parse: int(10, 60_000), doc: 'availability is re-read this often; its staleness bound is twice this' }),
  bookingBatchMax: row({ env: null, default: 256, parse: int(1, 10_000), doc: 'bookings per database transaction on the hot path' }),
  bookingQueueMax: row({ env: 'YEYAK_BOOKING_QUEUE_MAX', default: 20_000, parse: int(1, 1_000_000), doc: 'bookings waiting for a batch per node; one more is refused (429 YEYAK_E_BUSY)' }),
  bookingLeadDays: row({ env: 'YEYAK_BOOKING_LEAD_DAYS', default: 1, parse: int(0, 365), doc: 'the earliest dose-1 date is this many days after today: deliveries need notice' }),
  sessionTtlMs: row({ env: null, default: 30 * MIN, parse: int(1000, DAY), doc: 'a session token lives this long' }),
  challengeTtlMs: row({ env: null, default: 5 * MIN, parse: int(1000, HOUR), doc: 'an identity challenge (a code sent) can be answered this long' }),
  statementTimeoutMs: row({ env: null, default: 5_000, parse: int(100, 600_000), doc: 'a statement that takes longer is cancelled: a booking transaction that long is a bug' }),
  shutdownGraceMs: row({ env: null, default: 10_000, parse: int(0, 600_000), doc: 'time to drain on SIGTERM' }),
  passTtlMs: row({ env: null, default: 10 * MIN, parse: int(10_000, HOUR), doc: 'an admitted citizen has this long to finish booking' }),
  queueClaimWindowMs: row({
    env: 'YEYAK_QUEUE_CLAIM_WINDOW_MS',
    default: 5 * MIN,
    parse: int(10_000, HOUR),
    doc: 'an admitted place must be claimed (its pass fetched) within this long of its admission',
    readme: '300000 (5 min)',
  }),
  queueStateRefreshMs: row({ env: null, default: 250, parse: int(10, 250), doc: "a node re-reads the line's counters at least this often" }),
  queueTickMs: row({ env: null, default: 250, parse: int(10, 5_000), doc: 'the admission controller steps this often' }),
  joinPerIpPerMin: row({ env: 'YEYAK_JOIN_PER_IP_PER_MIN', default: 30, parse: int(1, 1_000_000), doc: 'waiting-room joins per client address per minute' }),
  queueJoinLeadMs: row({
    env: 'YEYAK_QUEUE_JOIN_LEAD_MS',
    default: HOUR,
    parse: int(0, 7 * DAY),
    doc: 'joins are taken from this long before a window opens (src/rules/join-window.ts); earlier: CAMPAIGN_CLOSED',
    readme: '3600000 (1 h)',
  }),
  deviceLockMs: row({
    env: 'YEYAK_DEVICE_LOCK_MS',
    default: 10 * MIN, // the August 2021 one-device rule
    parse: int(0, DAY),
    doc: 'after a verification, other devices of that person are refused this long (0 = off)',
    readme: '600000 (10 min)',
  }),
  challengesPerIpPerMin: row({
    env: 'YEYAK_CHALLENGES_PER_IP_PER_MIN',
    default: 600, // carrier NAT puts many phones behind one address
    parse: int(1, 1_000_000),
    doc: 'identity starts (POST /identity/challenges) per client address per minute',
  }),
  challengesPerPhonePerHour: row({
    env: 'YEYAK_CHALLENGES_PER_PHONE_PER_HOUR',
    default: 60, // a family phone verifies several people
    parse: int(0, 1_000_000),
    doc: 'identity starts per phone per hour (0 = off); unset, off when verification is the sandbox (no message is sent)',
    readme: '60 (off in the sandbox)',
  }),
  challengesPerPersonPerHour: row({
    env: 'YEYAK_CHALLENGES_PER_PERSON_PER_HOUR',
    default: 20, // retries, method changes, several devices
    parse: int(1, 1_000_000),
    doc: 'identity starts per person and phone (the keyed hash of RRN + phone: no lock-out by a stranger) per hour',
  }),
  identityProviders: row({
    env: 'YEYAK_IDENTITY_PROVIDERS',
    default: noProviderSettings,
    parse: providerSettings,
    doc: 'per-method provider settings, JSON (src/core/identity-settings.ts)',
    readme: 'sandbox, 200 in flight, 5 s',
  }),
  identityHttpUrl: row({
    env: 'YEYAK_IDENTITY_HTTP_URL',
    default: null,
    parse: matching(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL'),
    doc: 'base URL of an HTTP verification service for every method (src/identity/providers/http.ts)',
    readme: 'none',
  }),
  identityHttpToken: row({ env: 'YEYAK_IDENTITY_HTTP_TOKEN', default: null, parse: text, doc: 'bearer token sent to that service', readme: 'none' }),
  idempotencyTtlMs: row({
    env: 'YEYAK_IDEMPOTENCY_TTL_MS',
    default: DAY, // a client's retries come within seconds; a day covers an app restored from a backup
    parse: int(MIN, 30 * DAY),
    doc: 'an Idempotency-Key answers retries this long after its booking; then it is free again',
    readme: '86400000 (24 h)',
  }),
  challengeRetentionGraceMs: row({
    env: 'YEYAK_CHALLENGE_RETENTION_GRACE_MS',
    default: HOUR, // support can still see a failed verification
    parse: int(0, 30 * DAY),
    doc: 'identity_challenge rows (name, phone) are deleted this long after they expire',
    readme: '3600000 (1 h)',
  }),
  outboxRetentionMs: row({
    env: 'YEYAK_OUTBOX_RETENTION_MS',
    default: 7 * DAY, // "did the message go out?"
    parse: int(0, 365 * DAY),
    doc: 'delivered outbox rows are deleted this long after delivery; undelivered ones stay',
    readme: '604800000 (7 days)',
  }),
  vaccinationRecordRetentionMs: row({
    env: 'YEYAK_VACCINATION_RECORD_RETENTION_MS',
    default: 400 * DAY, // a booster season after the upload, with its catch-up months
    parse: int(DAY, 5 * 365 * DAY),
    doc: 'uploaded vaccination records (RRN hash, doses) are deleted this long after their upload',
    readme: '34560000000 (400 days)',
  }),
  retentionIntervalMs: row({ env: null, default: 60_000, parse: int(1_000, HOUR), doc: 'the retention job runs this often (src/operations/retention.ts)' }),
  retentionBatchRows: row({ env: null, default: 1_000, parse: int(1, 100_000), doc: 'rows per DELETE of the retention job: short row locks, bounded WAL per statement' }),
  auditIntervalMs: row({
    env: 'YEYAK_AUDIT_INTERVAL_MS',
    default: MIN, // a broken invariant is seen within a minute; a round over a million reservations takes seconds
    parse: int(0, DAY),
    doc: 'the invariant auditor runs a round this often, on one node at a time (src/operations/audit-job.ts); 0 = off',
    readme: '60000 (1 min)',
  }),
  // The outbox worker (src/notifications/): which provider sends the notices, and how.
  notifyProvider: row({ env: 'YEYAK_NOTIFY_PROVIDER', default: 'console', parse: oneOf(['console', 'file', 'webhook', 'solapi']), doc: 'who delivers the notices: console (a log line each), file (JSON lines), webhook (HTTP POST), solapi (SMS/LMS/알림톡)', readme: '`console`' }),
  notifyFile: row({ env: 'YEYAK_NOTIFY_FILE', default: null, parse: nonEmpty, doc: 'the file provider appends one JSON line per notice here', readme: '`<data dir>/notices.jsonl`' }),
  notifyWebhookUrl: row({ env: 'YEYAK_NOTIFY_WEBHOOK_URL', default: null, parse: matching(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL'), doc: 'the webhook provider POSTs each notice here (Idempotency-Key header)', readme: 'none' }),
  solapiApiKey: row({ env: 'YEYAK_SOLAPI_API_KEY', default: null, parse: nonEmpty, doc: "SOLAPI's API key (solapi provider)", readme: 'none' }),
  solapiApiSecret: row({ env: 'YEYAK_SOLAPI_API_SECRET', default: null, parse: nonEmpty, doc: "SOLAPI's API secret; never logged", readme: 'none' }),
  solapiSender: row({ env: 'YEYAK_SOLAPI_SENDER', default: null, parse: matching(/^[0-9-]{8,20}$/, 'must be a phone number (digits and -)'), doc: 'the registered sender number', readme: 'none' }),
  solapiBaseUrl: row({ env: 'YEYAK_SOLAPI_BASE_URL', default: null, parse: matching(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL'), doc: "SOLAPI's API at another address (a relay, a test double)", readme: '`https://api.solapi.com`' }),
  solapiPfid: row({ env: 'YEYAK_SOLAPI_PFID', default: null, parse: nonEmpty, doc: '카카오 channel pfId: 알림톡 for topics with an approved template, else SMS/LMS', readme: 'none (SMS/LMS only)' }),
  notifyRatePerS: row({ env: 'YEYAK_NOTIFY_RATE_PER_S', default: 50, parse: int(1, 10_000), doc: "notices per second, all nodes together (in Redis when REDIS_URL is set): the provider's rate" }),
  notifyMaxAttempts: row({ env: 'YEYAK_NOTIFY_MAX_ATTEMPTS', default: 8, parse: int(1, 100), doc: 'tries before a notice is dead-lettered (backoff 2.5–5 s doubling, at most 1 h)' }),
  notifyLeaseMs: row({ env: 'YEYAK_NOTIFY_LEASE_MS', default: MIN, parse: int(1_000, HOUR), doc: "a claimed notice is one worker's this long; then another may send it again (same idempotency key)", readme: '60000 (1 min)' }),
  notifyIntervalMs: row({ env: 'YEYAK_NOTIFY_INTERVAL_MS', default: 1_000, parse: int(0, HOUR), doc: 'the outbox worker claims due notices this often; 0 = off', readme: '1000 (1 s)' }),
} as const;

type Table = typeof configTable;
export type ConfigKey = keyof Table;

/** A row's value: what its parser returns, or null when null is its default. */
type ValueOf<R> = R extends Row<infer T, infer D> ? T | (D extends null ? null : never) : never;
export type TableConfig = { readonly [K in ConfigKey]: ValueOf<Table[K]> };

/** The keys whose default loadConfig works out from others (identity, the keys, the admin token). */
export type ComputedKey = { [K in ConfigKey]: Table[K]['default'] extends Computed ? K : never }[ConfigKey];

/** The plain defaults (benches size themselves by them). */
export const defaults = Object.freeze(
  Object.fromEntries(Object.entries(configTable).filter(([, r]) => !isComputed(r.default)).map(([k, r]) => [k, r.default])),
) as { readonly [K in Exclude<ConfigKey, ComputedKey>]: TableConfig[K] };

export function isComputed(d: unknown): d is Computed {
  return typeof d === 'object' && d !== null && 'computed' in d;
}
