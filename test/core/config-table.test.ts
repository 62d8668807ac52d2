/**
 * The configuration table (src/core/config-table.ts) is the one list of keys: the README's
 * "## Configuration" table must name the same env variables with the same defaults, and every
 * key is validated at load, before any store is opened, with the env variable in the message.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, configTable, loadConfig, logLevels } from '../../src/core/config.ts';
import { isComputed } from '../../src/core/config-table.ts';

const README = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

/** The cells of a markdown table row; `\|` inside a cell is not a separator. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** env name → default cell of the README's configuration table. */
function readmeTable(): Map<string, string> {
  const lines = README.split('\n');
  const start = lines.findIndex((l) => l.trim() === '## Configuration');
  expect(start, 'README has a "## Configuration" section').toBeGreaterThanOrEqual(0);
  const first = lines.findIndex((l, i) => i > start && l.trim().startsWith('|'));
  const table: string[] = [];
  for (let i = first; i < lines.length && (lines[i] ?? '').trim().startsWith('|'); i++) table.push(lines[i] ?? '');
  expect(cells(table[0] ?? '')).toEqual(['env', 'meaning', 'default']);
  const rows = new Map<string, string>();
  for (const line of table.slice(2)) {
    const [env = '', , def = ''] = cells(line);
    const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(env)?.[1];
    expect(name, `one env variable per README row, in backticks: ${env}`).toBeDefined();
    expect(rows.has(name ?? ''), `${name} listed twice in the README`).toBe(false);
    rows.set(name ?? '', def);
  }
  return rows;
}

const rows = Object.entries(configTable);
const withEnv = rows.filter(([, r]) => r.env !== null);

describe('the configuration table', () => {
  it('the README table names exactly the env variables of the code table', () => {
    const readme = readmeTable();
    const code = withEnv.map(([, r]) => r.env ?? '');
    expect([...readme.keys()].filter((e) => !code.includes(e)), 'in the README, not in src/core/config-table.ts').toEqual([]);
    expect(code.filter((e) => !readme.has(e)), 'in src/core/config-table.ts, not in the README').toEqual([]);
  });

  it("the README's defaults are the code's", () => {
    const readme = readmeTable();
    for (const [key, r] of withEnv) {
      const expected = r.readme ?? String(r.default);
      expect(readme.get(r.env ?? ''), `${r.env} (${key}): README default`).toBe(expected);
    }
  });

  it("a row's README default text shows its actual default", () => {
    for (const [key, r] of rows) {
      if (r.readme === undefined || isComputed(r.default) || r.default === null || typeof r.default === 'object') continue;
      const shown = String(r.default);
      if (typeof r.default === 'number') expect(r.readme.startsWith(shown), `${key}: ${r.readme} starts with ${shown}`).toBe(true);
      else expect(r.readme, key).toContain(shown);
    }
  });

  it('env names are unique and every row has one line of doc', () => {
    const names = withEnv.map(([, r]) => r.env);
    expect(new Set(names).size).toBe(names.length);
    for (const [key, r] of rows) {
      expect(r.doc.trim(), key).not.toBe('');
      expect(r.doc, key).not.toContain('\n');
    }
  });

  it('every row is a Config field, plus the derived ones', () => {
    const config = loadConfig({ dataDir: 'memory:' }, {});
    expect(Object.keys(config).sort()).toEqual(
      [...Object.keys(configTable), 'identityChosen', 'scenarioChosen', 'adminTokenGenerated', 'secretsGenerated'].sort(),
    );
  });

  it('the defaults that used to be constants elsewhere: booking queue and lead days', () => {
    const config = loadConfig({ dataDir: 'memory:' }, {});
    expect(config.bookingQueueMax).toBe(20_000);
    expect(config.bookingLeadDays).toBe(1);
    expect(loadConfig({}, { YEYAK_BOOKING_QUEUE_MAX: '500', YEYAK_BOOKING_LEAD_DAYS: '0' })).toMatchObject({ bookingQueueMax: 500, bookingLeadDays: 0 });
    expect(() => loadConfig({}, { YEYAK_BOOKING_QUEUE_MAX: '0' })).toThrow(/YEYAK_BOOKING_QUEUE_MAX must be an integer/);
    expect(() => loadConfig({}, { YEYAK_BOOKING_LEAD_DAYS: '1.5' })).toThrow(/YEYAK_BOOKING_LEAD_DAYS must be an integer/);
  });
});

describe('precedence: flag > env > default', () => {
  it('for a plain key', () => {
    expect(loadConfig({}, {}).port).toBe(8080);
    expect(loadConfig({}, { PORT: '9000' }).port).toBe(9000);
    expect(loadConfig({ port: 9100 }, { PORT: '9000' }).port).toBe(9100);
    // null and undefined flags are "not given"; an empty env variable is unset.
    expect(loadConfig({ port: null }, { PORT: '9000' }).port).toBe(9000);
    expect(loadConfig({ port: undefined }, { PORT: '' }).port).toBe(8080);
  });

  it('for YEYAK_IDENTITY: the flag overrides it', () => {
    const off = loadConfig({ identity: 'off' }, { YEYAK_IDENTITY: 'sandbox' });
    expect(off).toMatchObject({ identity: 'off', identityChosen: true });
    const on = loadConfig({ identity: 'sandbox' }, { YEYAK_IDENTITY: 'off', DATABASE_URL: 'postgres://db/yeyak' });
    expect(on).toMatchObject({ identity: 'sandbox', identityChosen: true });
    expect(loadConfig({}, {})).toMatchObject({ identity: 'sandbox', identityChosen: false });
    // The flag is checked as the env variable is.
    expect(() => loadConfig({ identity: 'on' }, {})).toThrow(/YEYAK_IDENTITY must be one of sandbox, off/);
    expect(() => loadConfig({ identity: 'sandbox' }, { NODE_ENV: 'production' })).toThrow(/YEYAK_IDENTITY=sandbox is refused/);
  });

  it('for the scenario and the seeded clinics', () => {
    expect(loadConfig({}, {})).toMatchObject({ scenario: 'demo', scenarioChosen: false, seedClinics: null });
    expect(loadConfig({}, { YEYAK_SCENARIO: 'korea-2021-08', YEYAK_SEED_CLINICS: '40' })).toMatchObject({
      scenario: 'korea-2021-08',
      scenarioChosen: true,
      seedClinics: 40,
    });
    expect(loadConfig({ scenario: 'demo', seedClinics: 5 }, { YEYAK_SCENARIO: 'korea-2021-08', YEYAK_SEED_CLINICS: '40' })).toMatchObject({
      scenario: 'demo',
      scenarioChosen: true,
      seedClinics: 5,
    });
    expect(() => loadConfig({}, { YEYAK_SEED_CLINICS: '0' })).toThrow(/YEYAK_SEED_CLINICS must be an integer of at least 1, got 0/);
  });
});

describe('validated at load, with the env variable named', () => {
  it('a typo in the scenario', () => {
    expect(() => loadConfig({}, { YEYAK_SCENARIO: 'korea-2021' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { YEYAK_SCENARIO: 'korea-2021' })).toThrow(/YEYAK_SCENARIO must be one of demo, korea-2021-08, booster-2021-12, got "korea-2021"/);
  });

  it('the log level is one of pino’s', () => {
    for (const level of logLevels) expect(loadConfig({}, { YEYAK_LOG_LEVEL: level }).logLevel).toBe(level);
    expect(() => loadConfig({}, { YEYAK_LOG_LEVEL: 'verbose' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { YEYAK_LOG_LEVEL: 'INFO' })).toThrow(/YEYAK_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/);
  });

  it('HOST is not empty', () => {
    expect(() => loadConfig({ host: '' }, {})).toThrow(/HOST must not be empty/);
    expect(() => loadConfig({}, { HOST: '  ' })).toThrow(/HOST must not be empty/);
  });

  it('YEYAK_TRUST_PROXY: names, addresses and CIDR ranges as Fastify compiles them', () => {
    expect(loadConfig({}, {}).trustProxy).toBeNull();
    expect(loadConfig({}, { YEYAK_TRUST_PROXY: 'loopback' }).trustProxy).toBe('loopback');
    expect(loadConfig({}, { YEYAK_TRUST_PROXY: 'loopback, 10.0.0.0/8,172.16.0.1, fd00::/8, 192.168.0.0/255.255.0.0' }).trustProxy).toBe(
      'loopback,10.0.0.0/8,172.16.0.1,fd00::/8,192.168.0.0/255.255.0.0',
    );
    expect(loadConfig({ trustProxy: 'uniquelocal' }, { YEYAK_TRUST_PROXY: 'loopback' }).trustProxy).toBe('uniquelocal');
    for (const bad of ['true', '1', 'proxy.internal', '10.0.0.0/33', '::1/129', '10.0.0.1/8/8', 'loopback,', '10.0.0.0/ffff::']) {
      expect(() => loadConfig({}, { YEYAK_TRUST_PROXY: bad }), bad).toThrow(/YEYAK_TRUST_PROXY must be a comma list/);
    }
  });
});
