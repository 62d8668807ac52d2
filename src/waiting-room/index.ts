import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import client from 'prom-client';
import type { Clock } from '../core/clock.ts';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db.ts';
import { defaultQueueConfig, type Campaign, type CampaignLookup } from '../rules/campaign.ts';
import type { Metrics } from '../core/metrics.ts';
import { AdmissionController, type HealthSample } from './controller.ts';
import { WaitingRoom } from './service.ts';
import { MemoryQueueStore } from './memory-store.ts';
import type { SaveQueueSettings } from './ports.ts';
import { readCheckpoint } from './sql.ts';
import type { QueueSettings, QueueStore } from './store.ts';
import { parseKeys, TICKET_CACHE_SIZE, TokenSigner } from './tokens.ts';
import { LineViews } from './live-view.ts';
import { WaitRecorder } from './waits.ts';
import { SeedCommitments } from './fairness-seed.ts';
import { AdmissionRecorder } from './fairness-recorder.ts';
import { FairnessRecords } from './fairness-record.ts';
import { tellAdmittedSoldOut, type SoldOut } from './sold-out.ts';

export interface WaitingRoomParts {
  room: WaitingRoom;
  controller: AdmissionController;
  store: QueueStore;
  powSigner: TokenSigner;
  nodeId: string;
  /** The lines as the operator's live feed shows them, with the waits this node recorded. */
  lines: LineViews;
  /** The public fairness record (fairness-record.ts), and the admitted places this node writes to it. */
  fairness: FairnessRecords;
  admissions: AdmissionRecorder;
}

/**
 * Restores every campaign's counters from the database checkpoint, into a store that has lost
 * them (or never had them: a new process's in-process store). Never into a live shared line: the
 * checkpoint is written ahead, so raising a live line to it would skip numbers and admit early.
 */
export async function restoreFromCheckpoints(store: QueueStore, db: Db, campaigns: CampaignLookup): Promise<void> {
  for (const c of campaigns.list()) {
    const cp = await readCheckpoint(db, c.id);
    if (cp) await store.restore(c.id, cp);
  }
}

/**
 * A campaign's waiting-room settings as its row holds them — which the admin API writes before
 * the store, so these are the operator's last.
 */
export function settingsOf(c: Campaign | undefined): QueueSettings {
  const q = c?.queue;
  return {
    // A campaign unknown here (none stored) gets the rules' defaults, as the SQL column defaults.
    ratePerS: q?.ratePerS ?? defaultQueueConfig.ratePerS,
    activeMax: q?.activeMax ?? defaultQueueConfig.activeMax,
    paused: q?.paused ?? false,
    notice: q?.notice ? { ko: q.notice.ko, en: q.notice.en } : null,
    powBits: q?.powBits ?? defaultQueueConfig.powBits,
  };
}

/** The settings of a line whose store holds none (new, or restored after a loss): the campaign's. */
export function queueDefaults(campaigns: CampaignLookup): (campaignId: string) => QueueSettings {
  return (id) => settingsOf(campaigns.get(id));
}

export function memoryStore(campaigns: CampaignLookup, clock: Clock): QueueStore {
  return new MemoryQueueStore(queueDefaults(campaigns), () => clock.nowMs());
}

export interface WaitingRoomDeps {
  db: Db;
  clock: Clock;
  campaigns: CampaignLookup;
  /** Writes an operator's change to the campaign row and reloads it into `campaigns` (ports.ts). */
  saveQueueSettings: SaveQueueSettings;
  metrics: Metrics;
  store: QueueStore;
  health: () => HealthSample;
  log: (msg: string, fields: Record<string, unknown>) => void;
  /** The campaign is sold out now (sold-out.ts); absent: never. */
  soldOut?: SoldOut;
}

export async function createWaitingRoom(config: Config, deps: WaitingRoomDeps): Promise<WaitingRoomParts> {
  const keys = parseKeys(config.queueKeys);
  const nodeId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  // Only a store that starts empty is restored here: the in-process one, new with this process.
  // A Redis line is shared and may be live (other nodes serving it): it restores itself when it
  // finds its state lost (the init marker), and only then.
  if (deps.store.kind === 'memory') await restoreFromCheckpoints(deps.store, deps.db, deps.campaigns);
  const waits = new WaitRecorder();
  const seeds = new SeedCommitments(deps.db, () => deps.clock.nowMs());
  const admissions = new AdmissionRecorder(deps.db, deps.log);
  const room = new WaitingRoom(deps.store, deps.clock, deps.campaigns, {
    tickets: new TokenSigner(keys, 'ticket', { cacheSize: TICKET_CACHE_SIZE }),
    passes: new TokenSigner(keys, 'pass'),
    passTtlMs: config.passTtlMs,
    claimWindowMs: config.queueClaimWindowMs,
    stateRefreshMs: config.queueStateRefreshMs,
    db: deps.db,
    saveSettings: deps.saveQueueSettings,
    onAdmittedClaim: (wait) => {
      deps.metrics.queueEtaError.observe(wait.waitedSeconds - wait.promisedSeconds);
      waits.record(wait, deps.clock.nowMs());
    },
    onFirstClaim: (admitted) => admissions.record(admitted),
    seeds,
    ...(deps.soldOut ? { soldOut: deps.soldOut } : {}),
  });
  const controller = new AdmissionController(deps.store, deps.db, deps.clock, () => deps.campaigns.list(), {
    nodeId,
    tickMs: config.queueTickMs,
    checkpointAheadS: 2,
    claimWindowMs: config.queueClaimWindowMs,
    health: deps.health,
    log: deps.log,
    onAdmit: (campaign, n) => deps.metrics.queueAdmissions.inc({ campaign }, n),
    seeds,
    ...(deps.soldOut ? { soldOut: deps.soldOut } : {}),
    onSoldOut: async (c, state, now) => {
      const told = await tellAdmittedSoldOut(deps.db, c, state, now);
      deps.log('sold-out notices written', { campaignId: c.id, told });
    },
  });
  registerQueueGauges(deps.metrics, room, deps.campaigns, deps.clock);
  const lines = new LineViews(deps.store, deps.db, deps.campaigns, deps.clock, waits, seeds);
  const fairness = new FairnessRecords(deps.db, deps.clock, seeds, admissions, { joinLeadMs: config.queueJoinLeadMs });
  return { room, controller, store: deps.store, powSigner: new TokenSigner(keys, 'pow'), nodeId, lines, fairness, admissions };
}

function registerQueueGauges(metrics: Metrics, room: WaitingRoom, campaigns: CampaignLookup, clock: Clock): void {
  const each = async (fn: (id: string) => Promise<number>, set: (id: string, v: number) => void) => {
    for (const c of campaigns.list()) if (c.queueEnabled) set(c.id, await fn(c.id).catch(() => NaN));
  };
  new client.Gauge({
    name: 'yeyak_queue_waiting',
    help: 'People in line not yet admitted',
    labelNames: ['campaign'],
    registers: [metrics.registry],
    async collect() {
      await each(async (id) => {
        const s = await room.state(id);
        return Math.max(0, (s.frozenPreCount ?? s.preCount) + s.lastSeq - s.admittedUpTo);
      }, (id, v) => this.set({ campaign: id }, v));
    },
  });
  new client.Gauge({
    name: 'yeyak_queue_active_passes',
    help: 'Admission passes in use',
    labelNames: ['campaign'],
    registers: [metrics.registry],
    async collect() {
      await each((id) => room.store.activeCount(id, clock.nowMs()), (id, v) => this.set({ campaign: id }, v));
    },
  });
  new client.Gauge({
    name: 'yeyak_queue_no_show_ratio',
    help: 'Share of admissions never claimed (smoothed)',
    labelNames: ['campaign'],
    registers: [metrics.registry],
    async collect() {
      await each(async (id) => (await room.state(id)).noShowRate, (id, v) => this.set({ campaign: id }, v));
    },
  });
  new client.Gauge({
    name: 'yeyak_queue_admission_rate',
    help: 'Observed admissions per second (smoothed)',
    labelNames: ['campaign'],
    registers: [metrics.registry],
    async collect() {
      await each(async (id) => (await room.state(id)).observedRatePerS, (id, v) => this.set({ campaign: id }, v));
    },
  });
}
