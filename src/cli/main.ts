import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig, scenarioNames, type ConfigInput } from '../core/config.ts';
import { clockFor, openStore, StartError } from '../server.ts';
import { serveWorkers } from './workers.ts';
import { seedScenario, type ScenarioName } from '../scenarios/seed.ts';
import { resolveSecrets } from '../core/secrets.ts';
import { seedProgressBar } from './progress.ts';
import { addStaff, staffRoles, type StaffRole } from '../staff/staff.ts';
import { addStaffThroughServer, shellQuote, type AddedStaff, type NewStaff } from '../staff/client.ts';
import { DataDirBusyError } from '../core/data-dir-lock.ts';
import { isPlainText } from '../core/schemas.ts';
import { registerRehearse } from '../rehearsal/command.ts';
import { auditCommand } from './audit.ts';
import { rescheduleCommand } from './reschedule.ts';
import { formatChecks, verifyFairness } from '../waiting-room/fairness-verify.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

/** Flags shared by every command; each overrides the env variable of the same meaning. */
function storeOptions(cmd: Command): Command {
  return cmd
    .option('--database-url <url>', 'postgres://… (env DATABASE_URL); default: embedded PGlite')
    .option('--data-dir <dir>', 'embedded store directory, or memory: (env YEYAK_DATA_DIR)')
    .option('--now <instant>', 'start the clock at this ISO-8601 instant (env YEYAK_NOW)');
}

function flagsToConfig(opts: Record<string, unknown>): ConfigInput {
  return {
    databaseUrl: opts.databaseUrl as string | undefined,
    dataDir: opts.dataDir as string | undefined,
    now: opts.now as string | undefined,
    port: opts.port as number | undefined,
    scenario: opts.scenario as string | undefined,
    seedClinics: opts.clinics as number | undefined, // --clinics, else YEYAK_SEED_CLINICS
    trustProxy: opts.trustProxy as string | undefined,
  };
}

const program = new Command('yeyak').description('yeyak — vaccination pre-reservation that stays up on opening night');

storeOptions(
  program
    .command('serve')
    .description('serve the whole system (HTTP API, docs, metrics)')
    .addOption(new Option('--scenario <name>', 'scenario to seed when the store is empty; a store without it is refused (env YEYAK_SCENARIO)').choices(scenarioNames))
    .option('--clinics <n>', 'clinics to seed into an empty store (env YEYAK_SEED_CLINICS; default: the scenario’s)', positiveInt)
    .option('--port <port>', 'HTTP port (env PORT)', positiveInt)
    .option('--trust-proxy <list>', 'addresses whose X-Forwarded-For is believed (env YEYAK_TRUST_PROXY)')
    .option('--workers <n>', 'processes serving the port (node:cluster); above 1 needs DATABASE_URL, REDIS_URL and the keys set', positiveInt, 1),
).action(async (opts: Record<string, unknown>) => {
  const config = loadConfig(flagsToConfig(opts));
  const progress = seedProgressBar();
  const seedClinics = config.seedClinics;
  try {
    await serveWorkers(config, opts.workers as number, { scenarioExplicit: config.scenarioChosen, onSeedProgress: progress.onProgress, ...(seedClinics !== null ? { seedClinics } : {}) });
  } finally {
    progress.stop();
  }
});

storeOptions(
  program
    .command('seed')
    .description('load a scenario into the configured store (deterministic for a given seed)')
    .addOption(new Option('--scenario <name>', 'scenario (booster-2021-12 is seeded from korea-2021-08\'s bookings as given: it seeds korea-2021-08 first when the store lacks it)').choices(scenarioNames).makeOptionMandatory())
    .option('--seed <n>', 'random seed', positiveInt, 1)
    .option('--clinics <n>', 'number of clinics (env YEYAK_SEED_CLINICS; default: the scenario’s)', positiveInt),
).action(async (opts: Record<string, unknown>) => {
  const config = loadConfig(flagsToConfig(opts));
  const clinics = config.seedClinics;
  const db = await openStore(config, console.log, 'seed');
  const progress = seedProgressBar();
  try {
    const scenario = opts.scenario as ScenarioName;
    // booster-2021-12 seeds people: hashed with the key the server will use (set, or the data directory's).
    const rrnSecret = scenario === 'booster-2021-12' ? resolveSecrets(config).config.rrnHashSecret : undefined;
    const summary = await seedScenario(db, {
      scenario,
      ...(rrnSecret !== undefined ? { rrnSecret } : {}),
      seed: opts.seed as number,
      ...(clinics !== null ? { clinics } : {}),
      clock: clockFor(config),
      onProgress: progress.onProgress,
    });
    progress.stop();
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    progress.stop();
    await db.close();
  }
});

storeOptions(program.command('migrate').description('apply the SQL migrations to the configured store')).action(
  async (opts: Record<string, unknown>) => {
    const config = loadConfig(flagsToConfig(opts));
    const db = await openStore(config, console.log, 'migrate');
    console.log(`Migrations up to date on ${db.describe()}`);
    await db.close();
  },
);

program
  .command('fairness')
  .description("the public fairness record of an opening (GET /api/v1/campaigns/{id}/fairness)")
  .command('verify')
  .description('fetch the record and check it: the commitment against the revealed seed, the shuffle recomputed, inversions; exit 1 when a check fails')
  .requiredOption('--target <url>', 'the server, e.g. http://localhost:8080')
  .requiredOption('--campaign <id>', 'the campaign')
  .option('--ticket <ticket>', 'your ticket: check that the server gives it the place the published seed gives it (this polls your status once)')
  .action(async (opts: { target: string; campaign: string; ticket?: string }) => {
    const { checks } = await verifyFairness({ target: opts.target, campaignId: opts.campaign, ...(opts.ticket !== undefined ? { ticket: opts.ticket } : {}) });
    console.log(formatChecks(checks));
    process.exitCode = checks.some((c) => c.ok === false) ? 1 : 0;
  });

storeOptions(
  program
    .command('audit')
    .description('check the store’s invariants (slots, one reservation per person, dose 2, supply, waiting-room places); exit 0 all hold, 1 broken, 2 could not audit')
    .option('--campaign <id>', 'audit one campaign only')
    .option('--json', 'print the report as JSON')
    .option('--redis-url <url>', 'also audit the Redis waiting room (env REDIS_URL)'),
).action(async (opts: Record<string, unknown>) => {
  const config = loadConfig({ ...flagsToConfig(opts), redisUrl: opts.redisUrl as string | undefined });
  const report = await auditCommand(config, { campaign: opts.campaign as string | undefined, json: opts.json === true });
  process.exitCode = report.ok ? 0 : 1;
});

storeOptions(
  program
    .command('reschedule')
    .description('move second doses in bulk by a plan (JSON); --dry-run prints what would move and what would not fit; exit 0 done, 1 failed, 2 could not start, 130 stopped (resumable)')
    .option('--plan <file>', 'the plan: campaign, vaccine, dose-1 days, new interval, days to avoid and the shift (README, Bulk dose-2 moves)')
    .option('--dry-run', 'count what would move and what would not fit; write nothing')
    .option('--resume <jobId>', 'continue a stopped, failed or killed job after its last batch', positiveInt)
    .addOption(new Option('--lease-ms <ms>', "the job's lease without renewal (a killed run's lease lapses after it)").argParser(positiveInt).hideHelp()),
).action(async (opts: Record<string, unknown>) => {
  const config = loadConfig(flagsToConfig(opts));
  process.exitCode = await rescheduleCommand(config, {
    plan: opts.plan as string | undefined, dryRun: opts.dryRun === true, resume: opts.resume as number | undefined, leaseMs: opts.leaseMs as number | undefined,
  });
});

function printStaff(added: AddedStaff): void {
  console.log(JSON.stringify({ id: added.id, role: added.role, clinicId: added.clinicId, name: added.name }));
  console.log(`token (shown once; send as Authorization: Bearer …): ${added.token}`);
}

/** The exact command that adds this staff member through the server holding the store. */
function throughServerHint(e: DataDirBusyError, input: NewStaff): string {
  const server = e.holder?.url ?? 'http://localhost:<its PORT>';
  const args = ['--server', server, '--role', input.role, ...(input.clinicId !== null ? ['--clinic', input.clinicId] : []), '--name', input.name];
  return (
    'A running server adds staff through its admin API instead (an operator token: the admin token it printed at start, or its YEYAK_ADMIN_TOKEN):\n' +
    `  YEYAK_ADMIN_TOKEN=<operator token> npx yeyak staff add ${args.map(shellQuote).join(' ')}`
  );
}

const STAFF_NAME_LENGTH_MAX = 200; // as POST /admin/staff and the staff table's CHECK
const staff = program.command('staff').description('staff credentials for /api/v1/admin (operator, clinic, agent)');
storeOptions(
  staff
    .command('add')
    .description('add a staff member and print their bearer token (shown once; only its hash is stored)')
    .addOption(new Option('--role <role>', 'operator: everything; clinic: one clinic; agent: call-centre booking').choices([...staffRoles]).makeOptionMandatory())
    .option('--clinic <clinicId>', 'the clinic (required for --role clinic, refused otherwise)')
    .requiredOption('--name <name>', 'who this is (recorded with what they do)')
    .option('--server <url>', "add through a running server's admin API (its store is locked while it runs), e.g. http://localhost:8080")
    .option('--admin-token <token>', 'with --server: an operator token (env YEYAK_ADMIN_TOKEN; the env keeps it out of ps)'),
).action(async (opts: Record<string, unknown>) => {
  const input: NewStaff = { role: opts.role as StaffRole, clinicId: (opts.clinic as string | undefined) ?? null, name: opts.name as string };
  if ((input.role === 'clinic') !== (input.clinicId !== null)) throw new InvalidArgumentError('--clinic is required for --role clinic and only for it');
  // The same rule as every free-text field of the API (core/schemas.ts).
  if (!isPlainText(input.name) || [...input.name].length > STAFF_NAME_LENGTH_MAX) {
    throw new InvalidArgumentError(`--name: 1–${STAFF_NAME_LENGTH_MAX} characters of visible text (no control, bidi or zero-width characters)`);
  }
  if (opts.server !== undefined) {
    const token = (opts.adminToken as string | undefined) ?? process.env.YEYAK_ADMIN_TOKEN;
    if (!token) throw new InvalidArgumentError('--server needs an operator token: YEYAK_ADMIN_TOKEN=… or --admin-token …');
    printStaff(await addStaffThroughServer(opts.server as string, token, input));
    return;
  }
  const config = loadConfig(flagsToConfig(opts));
  let db;
  try {
    db = await openStore(config, console.log, 'staff add');
  } catch (e) {
    if (e instanceof DataDirBusyError) throw new StartError(`${e.message}\n${throughServerHint(e, input)}`);
    throw e;
  }
  try {
    const { staff: member, token } = await addStaff(db, input, clockFor(config).now());
    printStaff({ id: member.id ?? 0, role: member.role, clinicId: member.clinicId, name: member.name, token });
  } finally {
    await db.close();
  }
});

registerRehearse(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof ConfigError) {
    console.error(`yeyak: configuration error: ${e.message}`);
    process.exit(2);
  }
  if (e instanceof StartError) {
    console.error(`yeyak: ${e.message}`);
    process.exit(2);
  }
  console.error(`yeyak: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
