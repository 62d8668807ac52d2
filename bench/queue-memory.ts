/**
 * Memory per waiting citizen: issue N tickets through the real WaitingRoom (in-process store),
 * keep none of them, and compare the heap after a full GC. Run with --expose-gc.
 */
import { parseArgs } from 'node:util';
import { FakeClock, machineMonotonicMs } from '../src/core/clock.ts';
import { korea202108Campaign } from '../src/rules/korea-2021-08.ts';
import { WaitingRoom } from '../src/waiting-room/service.ts';
import { MemoryQueueStore } from '../src/waiting-room/memory-store.ts';
import { TokenSigner } from '../src/waiting-room/tokens.ts';

const { values } = parseArgs({ options: { tickets: { type: 'string', default: '1000000' } } });
const tickets = Number(values.tickets);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

// Anonymous joins (no sessions here): the queue-first order of the same campaign.
const campaign = { ...korea202108Campaign(), queueOrder: 'queue-first' as const };
const registry = { get: (id: string) => (id === campaign.id ? campaign : undefined), list: () => [campaign] };
const clock = new FakeClock('2021-08-09T20:00:05+09:00');
const store = new MemoryQueueStore(() => ({ ratePerS: 600, activeMax: 20_000, paused: true, notice: null, powBits: 0 }), () => clock.nowMs());
const keys = [{ kid: 'bench', secret: 'bench-secret-0123456789' }];
const room = new WaitingRoom(store, clock, registry, {
  tickets: new TokenSigner(keys, 'ticket'),
  passes: new TokenSigner(keys, 'pass'),
  passTtlMs: 600_000,
  claimWindowMs: 300_000,
  stateRefreshMs: 250,
});
await room.join(campaign.id, { device: undefined, personId: undefined }, undefined); // warm up
gc();
const before = process.memoryUsage();
const started = machineMonotonicMs();
let lastTicket = '';
for (let i = 0; i < tickets; i++) {
  const a = await room.join(campaign.id, { device: undefined, personId: undefined }, undefined);
  if (i === tickets - 1) lastTicket = a.ticket;
  if (i % 100_000 === 0) process.stderr.write(`\r  issued ${i.toLocaleString('en-US')} / ${tickets.toLocaleString('en-US')}`);
}
const elapsedS = (machineMonotonicMs() - started) / 1000;
gc();
const after = process.memoryUsage();
const state = await store.read(campaign.id);
process.stderr.write('\n');
console.log(
  JSON.stringify({
    tickets,
    lastSeq: state.lastSeq,
    heapDeltaBytes: after.heapUsed - before.heapUsed,
    rssDeltaBytes: after.rss - before.rss,
    bytesPerTicket: (after.heapUsed - before.heapUsed) / tickets,
    joinsPerS: tickets / elapsedS,
    ticketBytes: lastTicket.length,
  }),
);
