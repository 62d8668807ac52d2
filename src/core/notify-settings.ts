import { ConfigError } from './config-parsers.ts';
import type { TableConfig } from './config-table.ts';

/**
 * The outbox provider's settings, checked at boot with the rest of the configuration: a provider
 * chosen without what it needs refuses to start (a production node that would silently send no
 * SMS is worse than one that does not start). The message names the variables, never a value.
 */
export function checkNotifySettings(c: Pick<TableConfig, 'notifyProvider' | 'notifyWebhookUrl' | 'solapiApiKey' | 'solapiApiSecret' | 'solapiSender'>): void {
  if (c.notifyProvider === 'webhook' && c.notifyWebhookUrl === null) {
    throw new ConfigError('YEYAK_NOTIFY_PROVIDER=webhook needs YEYAK_NOTIFY_WEBHOOK_URL');
  }
  if (c.notifyProvider === 'solapi') {
    const missing = (
      [
        ['YEYAK_SOLAPI_API_KEY', c.solapiApiKey],
        ['YEYAK_SOLAPI_API_SECRET', c.solapiApiSecret],
        ['YEYAK_SOLAPI_SENDER', c.solapiSender],
      ] as const
    ).filter(([, v]) => v === null).map(([name]) => name);
    if (missing.length > 0) throw new ConfigError(`YEYAK_NOTIFY_PROVIDER=solapi needs ${missing.join(', ')} (from the SOLAPI console)`);
  }
}
