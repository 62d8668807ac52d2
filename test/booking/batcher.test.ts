/**
 * The batcher's load shedding is a catalogue error (YEYAK_E_BUSY), answered by the HTTP layer
 * like any other: 429, Retry-After 2, the catalogue body — the answer a full queue gave when core
 * mapped the batcher's own error class.
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/booking/batcher.ts';
import { errorBody, installErrorHandling } from '../../src/core/http.ts';
import { isYeyakError } from '../../src/core/errors.ts';

function stalledBatcher(queueMax: number) {
  let resolve!: () => void;
  const released = new Promise<void>((r) => (resolve = r));
  const batcher = new Batcher<number, number>({
    run: async (xs) => {
      await released;
      return xs;
    },
    batchMax: 1,
    queueMax,
    inFlightMax: 1,
    monotonicMs: () => 0,
  });
  return { batcher, release: resolve };
}

describe('Batcher load shedding', () => {
  it('beyond queueMax waiting, submit rejects at once with YEYAK_E_BUSY; the queued ones still answer', async () => {
    const { batcher, release } = stalledBatcher(2);
    const first = batcher.submit(1); // in flight
    const queued = [batcher.submit(2), batcher.submit(3)];
    expect(batcher.waiting).toBe(2);
    const refused = await batcher.submit(4).catch((e: unknown) => e);
    expect(isYeyakError(refused) && refused.code).toBe('YEYAK_E_BUSY');
    release();
    expect(await Promise.all([first, ...queued])).toEqual([1, 2, 3]);
  });

  it('a draining batcher refuses new work the same way', async () => {
    const { batcher } = stalledBatcher(10);
    await batcher.drain();
    const refused = await batcher.submit(1).catch((e: unknown) => e);
    expect(isYeyakError(refused) && refused.code).toBe('YEYAK_E_BUSY');
  });

  it('over HTTP: 429 YEYAK_E_BUSY with Retry-After 2 and the catalogue body', async () => {
    const { batcher } = stalledBatcher(0); // no room to wait: every submit is shed
    const app = Fastify();
    installErrorHandling(app);
    app.post('/book', async () => batcher.submit(1));
    try {
      const res = await app.inject({ method: 'POST', url: '/book' });
      expect(res.statusCode).toBe(429);
      expect(res.headers['retry-after']).toBe('2');
      expect(res.json()).toEqual(errorBody('YEYAK_E_BUSY'));
    } finally {
      await app.close();
    }
  });
});
