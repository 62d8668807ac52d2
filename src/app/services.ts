/**
 * The composition root's first half: every service of a node, built once by constructor
 * injection in dependency order — nothing is patched after construction. Where two services need
 * each other (the booking batcher feeds the health monitor that paces the waiting room that gates
 * booking), a function is passed instead of the object. `src/app.ts` puts HTTP in front of these;
 * `src/server.ts` runs them.
 */
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db.ts';
import { createMetrics, type Metrics } from '../core/metrics.ts';
import { CampaignRegistry } from '../campaigns/registry.ts';
import { updateQueueSettings } from '../campaigns/store.ts';
import { loadRegionCodes } from '../campaigns/regions.ts';
import { AvailabilityView } from '../availability/view.ts';
import { BookingService } from '../booking/service.ts';
import { IdentityService } from '../identity/challenges.ts';
import { SyntheticResidentRegistry } from '../identity/registry.ts';
import { SessionSigner } from '../identity/session.ts';
import { SessionAuth } from '../identity/auth.ts';
import { DeviceLock } from '../identity/devices.ts';
import { SessionRevocations } from '../identity/revocations.ts';
import { ChallengeTokens } from '../identity/challenge-token.ts';
import { MemoryChallengeAttempts, type ChallengeAttempts } from '../identity/challenge-attempts.ts';
import { RedisChallengeAttempts } from '../identity/challenge-attempts-redis.ts';
import { combineHealth, createProviderRegistry, type ProviderRegistry } from '../identity/providers/registry.ts';
import { createWaitingRoom, memoryStore, type WaitingRoomParts } from '../waiting-room/index.ts';
import { HealthMonitor } from '../waiting-room/health.ts';
import type { QueueStore } from '../waiting-room/store.ts';
import type { QueueStoreHandle } from '../waiting-room/factory.ts';
import { StaffDirectory } from '../staff/staff.ts';
import { StaffSessions } from '../staff/session.ts';
import { LiveFeed } from '../operations/live.ts';
import { AuditJob, type AuditLog } from '../operations/audit-job.ts';
import type { PassStore } from '../operations/audit.ts';
import type { RedisQueueStore } from '../waiting-room/redis-store.ts';
import { RescheduleService, defaultOwner } from '../reschedule/service.ts';
import { RescheduleRunner } from '../reschedule/runner.ts';
import { createNotifications, type Notifications } from '../notifications/index.ts';
import { soldOutTest } from './sold-out.ts';

export type ServiceLog = (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>) => void;

export interface ServiceDeps {
  db: Db;
  clock?: Clock;
  /** Where services log (the app's logger once it exists). */
  log?: ServiceLog;
  /** Waiting-room state; default: in-process. */
  queueStore?: QueueStore;
  /** Or: make it from the node's campaigns (server.ts: Redis); the services then close it. */
  queue?: (campaigns: CampaignRegistry) => Promise<QueueStoreHandle>;
  /** Start the admission controller's timer (default true; tests step it by hand). */
  startController?: boolean;
  /** Identity challenges' attempts; default: in the queue store's Redis when it has one, else in-process. */
  challengeAttempts?: ChallengeAttempts;
}

/** Everything a node runs, for the HTTP plugins, the server, tests and rehearsal tools. */
export interface Services {
  readonly config: Config;
  readonly db: Db;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly campaigns: CampaignRegistry;
  readonly regionCodes: ReadonlySet<string>;
  readonly availability: AvailabilityView;
  readonly booking: BookingService;
  readonly health: HealthMonitor;
  readonly identityProviders: ProviderRegistry;
  readonly waitingRoom: WaitingRoomParts;
  /** The shared waiting-room store's options for @fastify/rate-limit and its metrics (Redis). */
  readonly queueHandle: QueueStoreHandle | null;
  readonly signer: SessionSigner;
  readonly sessionAuth: SessionAuth;
  readonly revocations: SessionRevocations;
  readonly devices: DeviceLock;
  readonly identity: IdentityService;
  readonly staff: StaffDirectory;
  /** Staff sign-in cookies for the pages (staff/session.ts). */
  readonly staffSessions: StaffSessions;
  /** The operator's live feed (operations/live.ts). */
  readonly live: LiveFeed;
  /** The invariant auditor's rounds (operations/audit-job.ts); server.ts starts its timer. */
  readonly audit: AuditJob;
  /** Bulk dose-2 moves (reschedule/): the jobs, and this node's background runner (started with the timers). */
  readonly reschedule: { readonly service: RescheduleService; readonly runner: RescheduleRunner };
  /** The outbox worker and its provider (notifications/): start() starts it, stop() waits for its sends. */
  readonly notifications: Notifications;
  /** Starts the timers (availability refresh, revocations, admission). */
  start(): void;
  /** Stops them, drains booking and closes what the services opened. */
  stop(): Promise<void>;
}

/** Builds a node's services on a migrated store. */
export async function createServices(config: Config, deps: ServiceDeps): Promise<Services> {
  const { db } = deps;
  const clock = deps.clock ?? systemClock;
  const log: ServiceLog = deps.log ?? (() => undefined);
  const metrics = createMetrics();
  const campaigns = new CampaignRegistry();
  await campaigns.load(db);
  const regionCodes = await loadRegionCodes(db);
  const availability = new AvailabilityView(db, {
    refreshMs: config.availabilityRefreshMs,
    overlapMs: config.statementTimeoutMs + 1_000,
    monotonicMs: () => clock.monotonicMs(),
  });
  await availability.load(campaigns.list());

  // Verification providers (sandbox or HTTP), each behind a timeout, bulkhead and breaker; their
  // saturation slows the waiting room's admission like a slow database does.
  const identityProviders = createProviderRegistry(config, { metricsRegistry: metrics.registry, log });
  // The monitor reads the booking queue through a function: booking is built after the room it
  // feeds (and the monitor samples only once the controller ticks, after start()).
  const built: { booking?: BookingService } = {};
  const health = new HealthMonitor(() => clock.monotonicMs(), () => built.booking?.waiting ?? 0, () => db.poolWaiting());
  const queueHandle = deps.queue ? await deps.queue(campaigns) : null;
  queueHandle?.rateLimitMetrics?.(metrics.registry);
  const waitingRoom = await createWaitingRoom(config, {
    db,
    clock,
    campaigns,
    saveQueueSettings: async (campaignId, patch) => {
      await updateQueueSettings(db, campaignId, patch);
      await campaigns.reload(db, campaignId);
    },
    metrics,
    store: deps.queueStore ?? queueHandle?.store ?? memoryStore(campaigns, clock),
    health: () => combineHealth(health.sample(), identityProviders.health()),
    log: (msg, fields) => log('info', msg, fields),
    soldOut: soldOutTest({ clock, campaigns, leadDays: config.bookingLeadDays, version: (id) => availability.version(id), remainingFirstDoses: (id, fromDay) => availability.campaignRemaining(id, fromDay) }),
  });
  const booking = createBooking(config, { db, clock, campaigns, availability, gate: waitingRoom.room, metrics, health });
  const { revocations, signer, devices, identity } = await createIdentity(config, { db, clock, identityProviders, queueHandle, attempts: deps.challengeAttempts });
  built.booking = booking;
  const staff = new StaffDirectory(db, config.adminToken);
  const audit = createAudit(config, { db, clock, metrics, log, queueHandle });
  const reschedule = createReschedule(db, clock, log);
  // The rate is shared through the waiting room's Redis when the node has one.
  const notifications = createNotifications(config, { db, clock, registry: metrics.registry, redis: queueHandle?.redis ?? null, log });

  return {
    config, db, clock, metrics, campaigns, regionCodes, availability, booking, health, identityProviders, waitingRoom,
    queueHandle, signer, sessionAuth: new SessionAuth(signer, config.nodeEnv === 'production'), revocations, devices, identity,
    staff, audit, notifications, reschedule,
    staffSessions: new StaffSessions(db, staff, clock, config.sessionSecret),
    live: createLiveFeed({ clock, campaigns, availability, booking, waitingRoom, identityProviders, metrics, log }),
    start() {
      availability.start();
      revocations.start();
      if (deps.startController !== false) waitingRoom.controller.start();
      reschedule.runner.start();
      notifications.start(); // YEYAK_NOTIFY_INTERVAL_MS=0: off
    },
    async stop() {
      try {
        await waitingRoom.controller.stop();
        await reschedule.runner.stop(); // after the batch in flight; the job goes back to the queue
        await waitingRoom.admissions.stop(); // the fairness record's last admitted places
        await revocations.stop();
        await notifications.stop(); // its sends in flight are marked first
        await booking.drain();
        await availability.stop();
      } finally {
        await queueHandle?.close(); // whatever failed above, the store's connections go
      }
    },
  };
}

/** Sessions, their revocations, devices and verification. */
async function createIdentity(
  config: Config,
  d: { db: Db; clock: Clock; identityProviders: ProviderRegistry; queueHandle: QueueStoreHandle | null; attempts: ChallengeAttempts | undefined },
): Promise<{ revocations: SessionRevocations; signer: SessionSigner; devices: DeviceLock; identity: IdentityService }> {
  const { db, clock } = d;
  // Logout: revoked session ids, held in memory on every node and refreshed from the database.
  const revocations = new SessionRevocations(db, clock);
  await revocations.refresh();
  const signer = new SessionSigner(config.sessionSecret, clock, config.sessionTtlMs, revocations);
  const devices = new DeviceLock(db, clock, config.deviceLockMs);
  // Who a person is: the CI a provider vouches for; the registry binds RRNs to CIs (identity/registry.ts).
  const residents = new SyntheticResidentRegistry();
  // A challenge is a sealed token; its attempts count where the line counts (one store for all nodes).
  const attempts = d.attempts ?? (d.queueHandle?.redis ? new RedisChallengeAttempts(d.queueHandle.redis) : new MemoryChallengeAttempts(clock));
  const identity = new IdentityService({
    db, clock, rrnSecret: config.rrnHashSecret, challengeTtlMs: config.challengeTtlMs, providers: d.identityProviders, residents,
    tokens: new ChallengeTokens(config.sessionSecret), attempts, devices,
  });
  return { revocations, signer, devices, identity };
}

/** The invariant auditor (its timer is started and stopped by server.ts); Redis: read through the store's own key layout. */
function createAudit(config: Config, d: { db: Db; clock: Clock; metrics: Metrics; log: ServiceLog; queueHandle: QueueStoreHandle | null }): AuditJob {
  const log: AuditLog = { error: (fields, msg) => d.log('error', msg, fields), info: (fields, msg) => d.log('info', msg, fields) };
  const store = d.queueHandle?.store.kind === 'redis' ? (d.queueHandle.store as RedisQueueStore) : null;
  const passStore: PassStore | null = store ? { redis: store.redis, key: (campaignId, part) => store.key(campaignId, part) } : null;
  return new AuditJob({ db: d.db, clock: d.clock, metrics: d.metrics, log, passStore }, config);
}

/** Bulk dose-2 moves: the jobs, and this node's runner (one node per job, by the job's lease). */
function createReschedule(db: Db, clock: Clock, log: ServiceLog): Services['reschedule'] {
  const service = new RescheduleService(db, clock);
  const runnerLog = { warn: (fields: Record<string, unknown>, msg: string) => log('warn', msg, fields), info: (fields: Record<string, unknown>, msg: string) => log('info', msg, fields) };
  return { service, runner: new RescheduleRunner(service, { owner: defaultOwner(), log: runnerLog }) };
}

/** Booking, its batches measured and fed to the health monitor (a failed batch slows admission). */
function createBooking(
  config: Config,
  d: { db: Db; clock: Clock; campaigns: CampaignRegistry; availability: AvailabilityView; gate: WaitingRoomParts['room']; metrics: Metrics; health: HealthMonitor },
): BookingService {
  return new BookingService(d.db, d.clock, d.campaigns, d.availability, {
    batchMax: config.bookingBatchMax,
    queueMax: config.bookingQueueMax,
    leadDays: config.bookingLeadDays,
    rrnSecret: config.rrnHashSecret,
    idempotencyTtlMs: config.idempotencyTtlMs,
    gate: d.gate,
    onBatch: (size, ms, failed) => {
      d.metrics.bookingBatchSize.observe(size);
      d.metrics.bookingBatchSeconds.observe(ms / 1000);
      d.health.recordBatch(ms, failed);
    },
  });
}

/** The live feed, reading the line, the waits, the lights, the bookings counter and the doses left per 시/도. */
function createLiveFeed(
  d: { clock: Clock; campaigns: CampaignRegistry; availability: AvailabilityView; booking: BookingService; waitingRoom: WaitingRoomParts; identityProviders: ProviderRegistry; metrics: Metrics; log: ServiceLog },
): LiveFeed {
  const { campaigns, availability, booking, waitingRoom } = d;
  const remainingBySido = (id: string) => {
    const c = campaigns.get(id);
    return c ? (availability.regions(id, booking.firstBookableDay(c)) ?? []).filter((r) => r.level === 1) : [];
  };
  return new LiveFeed(
    {
      line: (id) => waitingRoom.lines.line(id),
      waits: (id) => waitingRoom.lines.waitsOf(id),
      identityLights: () => d.identityProviders.statuses(),
      remainingBySido,
      bookings: d.metrics.bookings,
    },
    d.clock,
    { warn: (msg, fields) => d.log('warn', msg, fields) },
  );
}
