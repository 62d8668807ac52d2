import client from 'prom-client';
import type { Queryable } from '../core/db.ts';
import { countPendingDead } from './sql.ts';

/** The outbox worker's metrics, on the app's registry (src/core/metrics.ts keeps one per app). */
export function createNotifyMetrics(registry: client.Registry, db: Queryable) {
  // The gauges read the table at scrape time (two partial-index counts), whichever node sends.
  let counts: Promise<{ pending: number; dead: number }> | null = null;
  const read = () => {
    counts ??= countPendingDead(db)
      .catch(() => ({ pending: Number.NaN, dead: Number.NaN }))
      .finally(() => setImmediate(() => (counts = null)));
    return counts;
  };
  return {
    sent: new client.Counter({
      name: 'yeyak_outbox_sent_total',
      help: 'Notices delivered by this node, by provider and topic',
      labelNames: ['provider', 'topic'] as const,
      registers: [registry],
    }),
    failed: new client.Counter({
      name: 'yeyak_outbox_failed_total',
      help: 'Failed tries by this node (retried later, or dead), by provider, topic and whether it was retryable',
      labelNames: ['provider', 'topic', 'retryable'] as const,
      registers: [registry],
    }),
    dead: new client.Gauge({
      name: 'yeyak_outbox_dead',
      help: 'Notices in the dead-letter state (retry them from the console)',
      registers: [registry],
      async collect() {
        this.set((await read()).dead);
      },
    }),
    pending: new client.Gauge({
      name: 'yeyak_outbox_pending',
      help: 'Notices waiting to be sent (due or backing off)',
      registers: [registry],
      async collect() {
        this.set((await read()).pending);
      },
    }),
  };
}

export type NotifyMetrics = ReturnType<typeof createNotifyMetrics>;
