/**
 * Secure by default (issue #7): no public development key, keys kept in the data directory of the
 * embedded default, refused when missing on a shared store, refused when known or short; the
 * sandbox identity only where chosen or in the embedded default on loopback.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/core/config.ts';
import { resolveSecrets, SECRETS_FILE } from '../../src/core/secrets.ts';
import { serve } from '../../src/server.ts';

const OLD_DEV_SECRET = 'yeyak-dev-secret-not-for-production';
const KEY_A = 'Vb3kP9xQ2mLr7TzW5nHc8JfYd1GsE4uA6oKi0Rq'; // 39 random-looking characters
const KEY_B = 'n7Hq2WcX9pLz4RtF6vKm1JsB8dYg3EuA5oTi0Ne';
const QUEUE = 'k1:Jm4Tq8Zr1Wx6Pc3Lv9Bn2Ks7Hd5Gf0Ya'; // its own key: not a copy of another
const ALL_KEYS = { YEYAK_RRN_SECRET: KEY_A, YEYAK_SESSION_SECRET: KEY_B, YEYAK_QUEUE_KEYS: QUEUE };

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'yeyak-secrets-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('keys in loadConfig', () => {
  it('unset keys are random per process (never one public value) and listed as generated', () => {
    const a = loadConfig({ dataDir: 'memory:' }, {});
    const b = loadConfig({ dataDir: 'memory:' }, {});
    expect(a.secretsGenerated).toEqual(['rrnHashSecret', 'sessionSecret', 'queueKeys']);
    for (const k of ['rrnHashSecret', 'sessionSecret', 'queueKeys'] as const) {
      expect(a[k]).not.toBe(b[k]);
      expect(a[k]).not.toContain(OLD_DEV_SECRET);
      expect(a[k].length).toBeGreaterThanOrEqual(32);
    }
    expect(a.rrnHashSecret).not.toBe(a.sessionSecret);
  });

  it('the old public development key is refused for every key, in every mode', () => {
    for (const env of [{}, { NODE_ENV: 'production', ...ALL_KEYS }]) {
      expect(() => loadConfig({}, { ...env, YEYAK_RRN_SECRET: OLD_DEV_SECRET })).toThrow(/YEYAK_RRN_SECRET is a published or placeholder value/);
      expect(() => loadConfig({}, { ...env, YEYAK_SESSION_SECRET: OLD_DEV_SECRET })).toThrow(/YEYAK_SESSION_SECRET is a published/);
      expect(() => loadConfig({}, { ...env, YEYAK_QUEUE_KEYS: `dev:${OLD_DEV_SECRET}` })).toThrow(/YEYAK_QUEUE_KEYS: the secret of dev is a published/);
    }
  });

  it('placeholders, short keys and keys of a few repeated characters are refused, with how to generate one', () => {
    const refused = ['changeme-changeme-changeme-changeme', 'please-replace-me-with-a-real-key-0000', 'your-secret-key-goes-here-1234567890', 'a'.repeat(64), 'abcabcabcabcabcabcabcabcabcabcabcabc', KEY_A.slice(0, 31)];
    for (const value of refused) {
      expect(() => loadConfig({}, { YEYAK_SESSION_SECRET: value }), value).toThrow(ConfigError);
      expect(() => loadConfig({}, { YEYAK_SESSION_SECRET: value }), value).toThrow(/randomBytes\(32\)/);
    }
    expect(() => loadConfig({}, { YEYAK_QUEUE_KEYS: `k1:${KEY_A.slice(0, 31)}` })).toThrow(/shorter than 32/);
    expect(loadConfig({}, { YEYAK_SESSION_SECRET: KEY_A.slice(0, 32) }).sessionSecret).toBe(KEY_A.slice(0, 32));
    expect(loadConfig({}, { YEYAK_QUEUE_KEYS: `new:${KEY_A},old:${KEY_B}` }).queueKeys).toBe(`new:${KEY_A},old:${KEY_B}`);
  });

  it('one key for two purposes is refused', () => {
    expect(() => loadConfig({}, { YEYAK_RRN_SECRET: KEY_A, YEYAK_SESSION_SECRET: KEY_A })).toThrow(/must differ/);
  });

  // Red-team findings (issue #7): the repository's own test keys, patterned keys and near-copies
  // were accepted in production.
  it('the old test keys of this repository, patterns and near-copies are refused', () => {
    for (const value of ['test-rrn-key-3b9d1f0a6c8e2d4b7a5f9c1e3d0b8a6f', '01234567890123456789012345678901', 'abcdefgh'.repeat(4), 'zyxwvutsrqponmlkjihgfedcbazyxwvu']) {
      expect(() => loadConfig({}, { YEYAK_RRN_SECRET: value }), value).toThrow(/YEYAK_RRN_SECRET/);
    }
    expect(() => loadConfig({}, { YEYAK_RRN_SECRET: KEY_A, YEYAK_SESSION_SECRET: `${KEY_A}X` })).toThrow(/must be different keys/);
    expect(() => loadConfig({}, { YEYAK_RRN_SECRET: KEY_A, YEYAK_ADMIN_TOKEN: KEY_A })).toThrow(/must be different keys/);
    expect(() => loadConfig({}, { YEYAK_SESSION_SECRET: KEY_B, YEYAK_QUEUE_KEYS: `k1:${KEY_B}` })).toThrow(/must be different keys/);
  });

  it('production still requires every key', () => {
    expect(() => loadConfig({}, { NODE_ENV: 'production', YEYAK_RRN_SECRET: KEY_A, YEYAK_SESSION_SECRET: KEY_B })).toThrow(/YEYAK_QUEUE_KEYS is required/);
    expect(loadConfig({}, { NODE_ENV: 'production', ...ALL_KEYS }).secretsGenerated).toEqual([]);
  });

  it('YEYAK_ADMIN_TOKEN needs 24 characters; a generated one has them', () => {
    expect(() => loadConfig({}, { YEYAK_ADMIN_TOKEN: 'test-admin-token-123' })).toThrow(/YEYAK_ADMIN_TOKEN/);
    expect(() => loadConfig({}, { YEYAK_ADMIN_TOKEN: 'Zq8#Lm2$Vx5!Rt9&Kp3*Wn7' })).toThrow(/shorter than 24/);
    expect(loadConfig({}, { YEYAK_ADMIN_TOKEN: 'Zq8#Lm2$Vx5!Rt9&Kp3*Wn7@' }).adminToken).toBe('Zq8#Lm2$Vx5!Rt9&Kp3*Wn7@');
    const generated = loadConfig({}, {});
    expect(generated.adminTokenGenerated).toBe(true);
    expect(generated.adminToken.length).toBeGreaterThanOrEqual(24);
  });
});

describe('resolveSecrets', () => {
  it('a server on PostgreSQL or Redis without its keys is refused, naming them and how to make one', () => {
    const pg = loadConfig({}, { DATABASE_URL: 'postgres://db.internal:5432/yeyak', YEYAK_SESSION_SECRET: KEY_B });
    expect(() => resolveSecrets(pg)).toThrow(ConfigError);
    expect(() => resolveSecrets(pg)).toThrow(/PostgreSQL \(DATABASE_URL\).*set YEYAK_RRN_SECRET, YEYAK_QUEUE_KEYS\. Generate each key with: node -e/);
    const redis = loadConfig({}, { REDIS_URL: 'redis://cache:6379' });
    expect(() => resolveSecrets(redis)).toThrow(/Redis \(REDIS_URL\).*YEYAK_RRN_SECRET, YEYAK_SESSION_SECRET, YEYAK_QUEUE_KEYS/);
    const set = loadConfig({}, { DATABASE_URL: 'postgres://db.internal:5432/yeyak', REDIS_URL: 'redis://cache:6379', ...ALL_KEYS });
    expect(resolveSecrets(set).config).toBe(set);
  });

  it('serve refuses such a server before it touches the database', async () => {
    // Port 1 on loopback: nothing listens; the refusal comes first, so no connection error shows.
    const config = loadConfig({ port: 0 }, { DATABASE_URL: 'postgres://127.0.0.1:1/none' });
    await expect(serve(config, { log: () => undefined })).rejects.toThrow(/set YEYAK_RRN_SECRET, YEYAK_SESSION_SECRET, YEYAK_QUEUE_KEYS/);
  });

  it('memory: keeps the random per-process keys', () => {
    const config = loadConfig({ dataDir: 'memory:' }, {});
    const r = resolveSecrets(config);
    expect(r.config.rrnHashSecret).toBe(config.rrnHashSecret);
    expect(r.file).toBeNull();
  });

  it('the embedded store keeps its keys in <dataDir>/secrets.json (0600), the same on every start', () => {
    const dir = tempDir();
    const first = resolveSecrets(loadConfig({ dataDir: dir }, {}));
    expect(first.created).toBe(true);
    expect(first.file).toBe(join(dir, SECRETS_FILE));
    expect(statSync(join(dir, SECRETS_FILE)).mode & 0o777).toBe(0o600);
    expect(first.config.secretsGenerated).toEqual([]);
    expect(Object.isFrozen(first.config)).toBe(true);
    const second = resolveSecrets(loadConfig({ dataDir: dir }, {}));
    expect(second.created).toBe(false);
    for (const k of ['rrnHashSecret', 'sessionSecret', 'queueKeys'] as const) expect(second.config[k]).toBe(first.config[k]);
    const stored = JSON.parse(readFileSync(join(dir, SECRETS_FILE), 'utf8')) as Record<string, string>;
    expect(stored.rrnHashSecret).toBe(first.config.rrnHashSecret);
  });

  it('a key that is set wins over the file', () => {
    const dir = tempDir();
    const stored = resolveSecrets(loadConfig({ dataDir: dir }, {})).config;
    const r = resolveSecrets(loadConfig({ dataDir: dir }, { YEYAK_SESSION_SECRET: KEY_B }));
    expect(r.config.sessionSecret).toBe(KEY_B);
    expect(r.config.rrnHashSecret).toBe(stored.rrnHashSecret);
  });

  it('a key file readable by others, or holding a bad key, is refused', () => {
    const dir = tempDir();
    resolveSecrets(loadConfig({ dataDir: dir }, {}));
    const file = join(dir, SECRETS_FILE);
    chmodSync(file, 0o644);
    expect(() => resolveSecrets(loadConfig({ dataDir: dir }, {}))).toThrow(/readable by other users: run chmod 600/);
    writeFileSync(file, JSON.stringify({ rrnHashSecret: OLD_DEV_SECRET, sessionSecret: KEY_B, queueKeys: QUEUE }), { mode: 0o600 });
    chmodSync(file, 0o600);
    expect(() => resolveSecrets(loadConfig({ dataDir: dir }, {}))).toThrow(/rrnHashSecret is a published or placeholder value/);
  });

  it('a store that predates the key file gets a warning at start', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'pgdata'));
    writeFileSync(join(dir, 'pgdata', 'PG_VERSION'), '17\n');
    expect(resolveSecrets(loadConfig({ dataDir: dir }, {})).warning).toMatch(/old public development key/);
  });
});

describe('the sandbox identity', () => {
  it('is the default of the embedded store only; a shared store has it off unless chosen', () => {
    expect(loadConfig({}, {}).identity).toBe('sandbox');
    expect(loadConfig({}, { DATABASE_URL: 'postgres://db/yeyak' }).identity).toBe('off');
    expect(loadConfig({}, { REDIS_URL: 'redis://cache' }).identity).toBe('off');
    expect(loadConfig({}, { DATABASE_URL: 'postgres://db/yeyak', YEYAK_IDENTITY: 'sandbox' }).identity).toBe('sandbox');
    expect(loadConfig({}, { NODE_ENV: 'production', ...ALL_KEYS }).identity).toBe('off');
  });

  it('the default host is loopback, so `npm start` serves the sandbox to this machine only', () => {
    expect(loadConfig({}, {}).host).toBe('localhost');
    for (const host of ['127.0.0.1', '::1', 'localhost']) expect(loadConfig({}, { HOST: host }).identity).toBe('sandbox');
  });

  it('on a non-loopback address it needs an explicit YEYAK_IDENTITY=sandbox', () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5']) {
      expect(() => loadConfig({}, { HOST: host })).toThrow(/reachable from the network.*Set YEYAK_IDENTITY=sandbox/);
    }
    const chosen = loadConfig({}, { HOST: '0.0.0.0', YEYAK_IDENTITY: 'sandbox' });
    expect(chosen.identity).toBe('sandbox');
    expect(chosen.identityChosen).toBe(true);
    // With a real service for every method the sandbox answers for nothing: no refusal.
    expect(() => loadConfig({}, { HOST: '0.0.0.0', YEYAK_IDENTITY_HTTP_URL: 'https://verify.example.kr' })).not.toThrow();
  });
});
