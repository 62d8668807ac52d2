/**
 * `yeyak audit`: runs the invariant auditor once against the configured store (and, with
 * REDIS_URL, the Redis waiting room) and prints what it found. Exit 0 when every invariant holds,
 * 1 when one is broken, 2 when it could not audit (configuration, unknown campaign, a store it
 * cannot open or read) — so a script can tell "broken" from "could not look".
 */
import { Redis } from 'ioredis';
import type { Config } from '../core/config.ts';
import { DataDirBusyError } from '../core/data-dir-lock.ts';
import type { Db } from '../core/db.ts';
import { campaignExists, formatReport, runAudit, type AuditReport } from '../operations/audit.ts';
import { clockFor, openStore, StartError } from '../server.ts';

export interface AuditCommandOptions {
  campaign?: string;
  json?: boolean;
}

/** The report (exit code set by the caller: 0 or 1), or a StartError (exit 2). */
export async function auditCommand(config: Config, opts: AuditCommandOptions): Promise<AuditReport> {
  // stdout is the report (JSON with --json): the store's start-up lines go to stderr.
  let db: Db;
  try {
    db = await openStore(config, (line) => console.error(line), 'audit');
  } catch (e) {
    if (e instanceof DataDirBusyError) throw new StartError(`${e.message}\nA running server audits its own store: GET or POST /api/v1/admin/audit with an operator token.`);
    if (e instanceof StartError) throw e;
    throw new StartError(`cannot open the store: ${e instanceof Error ? e.message : String(e)}`);
  }
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, connectTimeout: 2_000, lazyConnect: true, connectionName: 'yeyak-audit' }) : null;
  try {
    if (opts.campaign !== undefined && !(await campaignExists(db, opts.campaign))) throw new StartError(`no campaign "${opts.campaign}" in ${db.describe()}`);
    await redis?.connect().catch((e: unknown) => {
      throw new StartError(`REDIS_URL: cannot reach Redis (${e instanceof Error ? e.message : String(e)})`);
    });
    const report = await runAudit(db, { campaignId: opts.campaign ?? null, clock: clockFor(config), passStore: redis ? { redis } : null }).catch((e: unknown) => {
      throw new StartError(`could not audit ${db.describe()}: ${e instanceof Error ? e.message : String(e)}`);
    });
    console.log(opts.json ? JSON.stringify({ store: db.describe(), ...report }, null, 2) : formatReport(report, db.describe()));
    return report;
  } finally {
    redis?.disconnect();
    await db.close();
  }
}
