/** Issue #11: a provider chosen without its settings refuses to start; the message names variables, never values. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/core/config.ts';
import { TEST_KEYS } from '../helpers/app.ts';

const base = { dataDir: 'memory:', ...TEST_KEYS };

describe('notification settings at boot', () => {
  it('console is the default, every 1 s, 50/s, 8 tries, a 1 min lease', () => {
    const c = loadConfig(base, {});
    expect(c).toMatchObject({ notifyProvider: 'console', notifyIntervalMs: 1000, notifyRatePerS: 50, notifyMaxAttempts: 8, notifyLeaseMs: 60_000 });
  });

  it('solapi without key, secret or sender is refused — in production too — naming what is missing', () => {
    expect(() => loadConfig({ ...base, notifyProvider: 'solapi' }, {})).toThrow(new ConfigError('YEYAK_NOTIFY_PROVIDER=solapi needs YEYAK_SOLAPI_API_KEY, YEYAK_SOLAPI_API_SECRET, YEYAK_SOLAPI_SENDER (from the SOLAPI console)'));
    const env = { NODE_ENV: 'production', YEYAK_NOTIFY_PROVIDER: 'solapi', YEYAK_SOLAPI_API_KEY: 'NCSKEYVALUE', YEYAK_SOLAPI_SENDER: '0212345678' };
    let message = '';
    try {
      loadConfig(base, env);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('YEYAK_NOTIFY_PROVIDER=solapi needs YEYAK_SOLAPI_API_SECRET (from the SOLAPI console)');
    expect(message).not.toContain('NCSKEYVALUE');
    const ok = loadConfig({ ...base, notifyProvider: 'solapi', solapiApiKey: 'k', solapiApiSecret: 's', solapiSender: '02-1234-5678' }, {});
    expect(ok.notifyProvider).toBe('solapi');
  });

  it('webhook needs its URL; bad values are refused by their rows', () => {
    expect(() => loadConfig({ ...base, notifyProvider: 'webhook' }, {})).toThrow('YEYAK_NOTIFY_PROVIDER=webhook needs YEYAK_NOTIFY_WEBHOOK_URL');
    expect(() => loadConfig(base, { YEYAK_NOTIFY_PROVIDER: 'sms' })).toThrow(/YEYAK_NOTIFY_PROVIDER must be one of console, file, webhook, solapi/);
    expect(() => loadConfig(base, { YEYAK_NOTIFY_WEBHOOK_URL: 'ftp://x' })).toThrow(/YEYAK_NOTIFY_WEBHOOK_URL must be an http/);
    expect(() => loadConfig(base, { YEYAK_NOTIFY_RATE_PER_S: '0' })).toThrow(/YEYAK_NOTIFY_RATE_PER_S must be an integer/);
    expect(loadConfig(base, { YEYAK_NOTIFY_INTERVAL_MS: '0' }).notifyIntervalMs).toBe(0);
  });
});
