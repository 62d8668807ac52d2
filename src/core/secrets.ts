import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { checkQueueKeys, ConfigError, type Config, type SecretName } from './config.ts';
import { GENERATE_KEY_HINT, keyProblem, randomKey, randomQueueKeys, SECRET_LENGTH_MIN } from './keys.ts';

/**
 * Where a node's keys come from when they are not set (src/core/config.ts leaves random
 * per-process values and lists them in `secretsGenerated`):
 * - a shared store (DATABASE_URL or REDIS_URL): refused — every node must hold the same keys, and
 *   a key made up by one node would orphan people and passes on the others;
 * - `memory:`: the random per-process keys (nothing outlives the process anyway);
 * - an embedded data directory: `<dataDir>/secrets.json` (mode 0600), created on first start with
 *   fresh random keys and read on every later start. A key that is set wins over the file's.
 */
export const SECRETS_FILE = 'secrets.json';

const envNames: Record<SecretName, string> = {
  rrnHashSecret: 'YEYAK_RRN_SECRET',
  sessionSecret: 'YEYAK_SESSION_SECRET',
  queueKeys: 'YEYAK_QUEUE_KEYS',
};

export interface ResolvedSecrets {
  config: Config;
  /** The data directory's key file, when keys came from (or went to) it. */
  file: string | null;
  /** True when this start created that file. */
  created: boolean;
  /** Something the operator should read at start, or null. */
  warning: string | null;
}

type StoredKeys = Record<SecretName, string>;

export function isMemoryDir(dataDir: string): boolean {
  return dataDir === 'memory:' || dataDir === 'memory://';
}

/** Replaces the generated keys of `config` (see above); call before buildApp. */
export function resolveSecrets(config: Config): ResolvedSecrets {
  const missing = config.secretsGenerated;
  if (missing.length === 0) return { config, file: null, created: false, warning: null };
  if (config.databaseUrl !== null || config.redisUrl !== null) throw sharedStoreError(config, missing);
  if (isMemoryDir(config.dataDir)) return { config, file: null, created: false, warning: null };
  const file = join(resolve(config.dataDir), SECRETS_FILE);
  const { keys, created } = readOrCreate(file);
  const merged: Config = { ...config, secretsGenerated: Object.freeze([]) };
  for (const k of missing) (merged as Record<SecretName, string>)[k] = keys[k];
  if (merged.rrnHashSecret === merged.sessionSecret) throw new ConfigError('YEYAK_RRN_SECRET and YEYAK_SESSION_SECRET must differ');
  // A store from before the keys file: its people were hashed with the old public development key.
  const older = created && existsSync(join(resolve(config.dataDir), 'pgdata', 'PG_VERSION'));
  const warning = older
    ? `${file} was just created for a store that already holds data: people stored before were keyed with the old public development key and will not be found again — start afresh (delete ${resolve(config.dataDir)}) unless that data matters`
    : null;
  return { config: Object.freeze(merged), file, created, warning };
}

function sharedStoreError(config: Config, missing: readonly SecretName[]): ConfigError {
  const store = config.databaseUrl !== null ? 'PostgreSQL (DATABASE_URL)' : 'Redis (REDIS_URL)';
  const names = missing.map((k) => envNames[k]).join(', ');
  return new ConfigError(
    `this server keeps its state in ${store}, which several nodes may share, so every node needs the same keys: set ${names}. ` +
      `Generate each key with: ${GENERATE_KEY_HINT} (YEYAK_QUEUE_KEYS is kid:key, e.g. k1:<key>). ` +
      'Keep YEYAK_RRN_SECRET forever: changing it orphans every stored person.',
  );
}

function readOrCreate(file: string): { keys: StoredKeys; created: boolean } {
  if (!existsSync(file)) {
    const keys: StoredKeys = { rrnHashSecret: randomKey(), sessionSecret: randomKey(), queueKeys: randomQueueKeys() };
    if (writeExclusive(file, `${JSON.stringify({ version: 1, ...keys }, null, 2)}\n`)) return { keys, created: true };
    // Another process created it first: use its keys.
  }
  return { keys: readKeys(file), created: false };
}

/** Writes `text` to `file` only if it does not exist, atomically (a reader never sees half a file). */
function writeExclusive(file: string, text: string): boolean {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file); // fails with EEXIST when the file is there: exclusive and atomic
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

function readKeys(file: string): StoredKeys {
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
    throw new ConfigError(`${file} holds this store's keys and is readable by other users: run chmod 600 ${file}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new ConfigError(`${file} is not valid JSON; restore it from a backup (its keys hash every stored person)`);
  }
  const p = (parsed ?? {}) as Partial<StoredKeys>;
  const keys = {} as StoredKeys;
  for (const k of ['rrnHashSecret', 'sessionSecret'] as const) {
    const v = p[k];
    const problem = typeof v === 'string' ? keyProblem(v, SECRET_LENGTH_MIN) : 'is missing';
    if (problem) throw new ConfigError(`${file}: ${k} ${problem}`);
    keys[k] = v as string;
  }
  if (typeof p.queueKeys !== 'string') throw new ConfigError(`${file}: queueKeys is missing`);
  keys.queueKeys = checkQueueKeys(p.queueKeys);
  return keys;
}
