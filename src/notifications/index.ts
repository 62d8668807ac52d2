/**
 * The notifications capability (issue #11): the outbox worker and its providers, built from the
 * configuration. app/services.ts builds it, starts it with the node and stops it (waiting for the
 * sends in flight); routes.ts is the operator's view of the outbox.
 */
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Clock } from '../core/clock.ts';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db.ts';
import type { Registry } from 'prom-client';
import { ALIMTALK_TEMPLATES } from './alimtalk.ts';
import { createNotifyMetrics } from './metrics.ts';
import type { NoticeProvider } from './provider.ts';
import { ConsoleProvider } from './providers/console.ts';
import { FileProvider } from './providers/file.ts';
import { WebhookProvider } from './providers/webhook.ts';
import { SolapiProvider } from './providers/solapi.ts';
import { MemoryRateLimiter, RedisRateLimiter, type RateLimiter } from './rate.ts';
import { batchSizeFor, OutboxWorker } from './worker.ts';

export type NotifyConfig = Pick<
  Config,
  | 'notifyProvider' | 'notifyFile' | 'notifyWebhookUrl' | 'solapiApiKey' | 'solapiApiSecret' | 'solapiSender' | 'solapiBaseUrl'
  | 'solapiPfid' | 'notifyRatePerS' | 'notifyMaxAttempts' | 'notifyLeaseMs' | 'notifyIntervalMs' | 'dataDir' | 'nodeEnv'
>;

export interface NotificationsDeps {
  db: Db;
  clock: Clock;
  registry: Registry;
  /** The node's Redis (the waiting room's), when it has one: the rate is then shared by the nodes. */
  redis: Redis | null;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>) => void;
}

export interface Notifications {
  readonly worker: OutboxWorker;
  readonly provider: NoticeProvider;
  start(): void;
  stop(): Promise<void>;
}

/** The file provider's file: YEYAK_NOTIFY_FILE, else notices.jsonl in the data directory. */
export function noticeFilePath(config: Pick<NotifyConfig, 'notifyFile' | 'dataDir'>): string {
  return config.notifyFile ?? join(config.dataDir === 'memory:' ? '.' : config.dataDir, 'notices.jsonl');
}

export function createProvider(config: NotifyConfig, deps: Pick<NotificationsDeps, 'clock' | 'log'>): NoticeProvider {
  switch (config.notifyProvider) {
    case 'file':
      return new FileProvider(noticeFilePath(config), deps.clock);
    case 'webhook':
      // config.ts refuses webhook without a URL.
      return new WebhookProvider(config.notifyWebhookUrl ?? '');
    case 'solapi':
      return new SolapiProvider({
        apiKey: config.solapiApiKey ?? '',
        apiSecret: config.solapiApiSecret ?? '',
        sender: config.solapiSender ?? '',
        baseUrl: config.solapiBaseUrl,
        pfId: config.solapiPfid,
        alimtalkTemplates: ALIMTALK_TEMPLATES,
      });
    default:
      return new ConsoleProvider((msg, fields) => deps.log('info', msg, fields));
  }
}

export function createNotifications(config: NotifyConfig, deps: NotificationsDeps): Notifications {
  const provider = createProvider(config, deps);
  if (config.nodeEnv === 'production' && (provider.name === 'console' || provider.name === 'file')) {
    deps.log('warn', `YEYAK_NOTIFY_PROVIDER=${provider.name} in production: notices are written down, not sent (choose webhook or solapi)`, {});
  }
  const limiter: RateLimiter = deps.redis ? new RedisRateLimiter(deps.redis, config.notifyRatePerS, deps.clock) : new MemoryRateLimiter(config.notifyRatePerS, deps.clock);
  const worker = new OutboxWorker(
    { db: deps.db, clock: deps.clock, provider, limiter, metrics: createNotifyMetrics(deps.registry, deps.db), log: deps.log },
    {
      intervalMs: config.notifyIntervalMs,
      leaseMs: config.notifyLeaseMs,
      attemptsMax: config.notifyMaxAttempts,
      batchMax: batchSizeFor(config.notifyRatePerS, config.notifyLeaseMs),
    },
  );
  return {
    worker,
    provider,
    start: () => worker.start(),
    stop: async () => {
      await worker.stop();
      await provider.close?.();
    },
  };
}
