/**
 * The waiting page's pure rules (web/wait/logic.ts) and its proof-of-work solver (web/wait/pow.ts,
 * on Node's Web Crypto), checked against the server's own puzzle (src/waiting-room/pow.ts).
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  ANNOUNCE_GAP_MS,
  BACKOFF_MAX_MS,
  backoffMs,
  leadingZeroBits,
  nextPlace,
  parsePlace,
  pollDelayMs,
  POLL_MAX_MS,
  POLL_MIN_MS,
  powPercent,
  progressPercent,
  reopenDelayMs,
  REOPEN_CHECK_MAX_MS,
  shouldAnnounce,
  splitDuration,
} from '../../web/wait/logic.ts';
import { solvePow } from '../../web/wait/pow.ts';
import { leadingZeroBits as serverLeadingZeroBits, powHash } from '../../src/core/pow-hash.ts';

describe('the place kept with the ticket', () => {
  it('reads what it stored, a bare ticket, and nothing else', () => {
    const place = { ticket: 't1', position: 42, aheadAtStart: 30 };
    expect(parsePlace(JSON.stringify(place))).toEqual(place);
    expect(parsePlace('bare-ticket')).toEqual({ ticket: 'bare-ticket', position: null, aheadAtStart: null });
    expect(parsePlace(null)).toBeNull();
    expect(parsePlace('{"ticket":""}')).toBeNull();
    expect(parsePlace('{broken')).toBeNull();
    expect(parsePlace('{"ticket":"t","position":-1,"aheadAtStart":"x"}')).toEqual({ ticket: 't', position: null, aheadAtStart: null });
  });

  it('starts progress at the first known position, not in the pre-queue', () => {
    const pre = nextPlace(null, 't', { ahead: 999, position: null });
    expect(pre.aheadAtStart).toBeNull();
    const drawn = nextPlace(pre, 't', { ahead: 400, position: 401 });
    expect(drawn).toEqual({ ticket: 't', position: 401, aheadAtStart: 400 });
    const later = nextPlace(drawn, 't2', { ahead: 100, position: 401 });
    expect(later).toEqual({ ticket: 't2', position: 401, aheadAtStart: 400 });
  });

  it('a new place (lapsed or spent, joined again at the back) starts again', () => {
    const old = { ticket: 't', position: 10, aheadAtStart: 9 };
    expect(nextPlace(old, 'u', { ahead: 500, position: 900 })).toEqual({ ticket: 'u', position: 900, aheadAtStart: 500 });
  });

  it('more people ahead than at the start is not progress', () => {
    const place = nextPlace({ ticket: 't', position: 10, aheadAtStart: 5 }, 't', { ahead: 8, position: 10 });
    expect(place.aheadAtStart).toBe(8);
    expect(progressPercent(8, place.aheadAtStart)).toBe(0);
  });

  it('progress is 1 − ahead / aheadAtStart, in whole per cent within 0–100', () => {
    expect(progressPercent(300, 400)).toBe(25);
    expect(progressPercent(0, 400)).toBe(100);
    expect(progressPercent(1, 3)).toBe(66);
    expect(progressPercent(500, 400)).toBe(0);
    expect(progressPercent(0, 0)).toBe(100);
    expect(progressPercent(5, null)).toBeNull();
  });
});

describe('when to ask again', () => {
  it('never sooner than told, and never faster than a second', () => {
    expect(pollDelayMs(2_500)).toBe(2_500);
    expect(pollDelayMs(0)).toBe(POLL_MIN_MS);
    expect(pollDelayMs(Number.NaN)).toBe(POLL_MIN_MS);
    expect(pollDelayMs(10 * 60_000)).toBe(POLL_MAX_MS);
  });

  it('backs off exponentially with jitter, up to a minute', () => {
    expect(backoffMs(1, null, 0)).toBe(1_000);
    expect(backoffMs(1, null, 1)).toBe(2_000);
    expect(backoffMs(2, null, 1)).toBe(4_000);
    expect(backoffMs(3, null, 0.5)).toBe(6_000);
    expect(backoffMs(30, null, 1)).toBe(BACKOFF_MAX_MS);
    for (let n = 1; n < 12; n++) expect(backoffMs(n + 1, null, 0.99)).toBeGreaterThanOrEqual(backoffMs(n, null, 0.99));
  });

  it('waits at least the Retry-After, spread by up to a fifth', () => {
    expect(backoffMs(1, 30, 0)).toBe(30_000);
    expect(backoffMs(1, 30, 1)).toBe(36_000);
    expect(backoffMs(5, 1, 0)).toBe(16_000); // the own backoff when it is longer
  });
});

describe('screen-reader announcements', () => {
  const t0 = 1_000_000;
  it('speaks the first answer and any change of state or notice at once', () => {
    expect(shouldAnnounce(null, 'waiting', 100, t0)).toBe(true);
    const last = { key: 'waiting', ahead: 100, atMs: t0 };
    expect(shouldAnnounce(last, 'paused', 100, t0 + 1)).toBe(true);
  });

  it('speaks the count only after a quiet gap and a real move', () => {
    const last = { key: 'waiting', ahead: 100, atMs: t0 };
    expect(shouldAnnounce(last, 'waiting', 50, t0 + 1_000)).toBe(false); // too soon
    expect(shouldAnnounce(last, 'waiting', 95, t0 + ANNOUNCE_GAP_MS)).toBe(false); // too small
    expect(shouldAnnounce(last, 'waiting', 90, t0 + ANNOUNCE_GAP_MS)).toBe(true);
    expect(shouldAnnounce({ ...last, ahead: 3 }, 'waiting', 2, t0 + ANNOUNCE_GAP_MS)).toBe(true);
    expect(shouldAnnounce(last, 'waiting', 100, t0 + 10 * ANNOUNCE_GAP_MS)).toBe(false); // nothing moved
  });
});

describe('a closed campaign', () => {
  const joinFrom = '2021-08-09T19:00:00+09:00';
  const opensAt = '2021-08-09T20:00:00+09:00';
  const joinFromMs = Date.parse(joinFrom);

  it('never reopens after its last window', () => {
    expect(reopenDelayMs({ opensAt: null, joinFrom: null, endedAt: '2021-09-18T18:00:00+09:00' } as never, joinFromMs, 0.5)).toBeNull();
    expect(reopenDelayMs(null, joinFromMs, 0.5)).toBeNull();
  });

  it('is tried again spread over five minutes after joins open, never before', () => {
    const now = joinFromMs - 10 * 60_000;
    expect(reopenDelayMs({ opensAt, joinFrom }, now, 0)).toBe(10 * 60_000);
    expect(reopenDelayMs({ opensAt, joinFrom }, now, 1)).toBe(15 * 60_000);
  });

  it('a far opening is re-checked within the hour; a late clock tries soon', () => {
    expect(reopenDelayMs({ opensAt, joinFrom }, joinFromMs - 86_400_000, 0)).toBe(REOPEN_CHECK_MAX_MS);
    expect(reopenDelayMs({ opensAt, joinFrom }, joinFromMs + 3_600_000, 0)).toBe(5_000);
  });
});

describe('durations', () => {
  it('rounds up to the minute; under a minute is its own words', () => {
    expect(splitDuration(59)).toBeNull();
    expect(splitDuration(60)).toEqual({ hours: 0, minutes: 1 });
    expect(splitDuration(61)).toEqual({ hours: 0, minutes: 2 });
    expect(splitDuration(47 * 3600 + 5 * 60)).toEqual({ hours: 47, minutes: 5 });
    expect(splitDuration(3600)).toEqual({ hours: 1, minutes: 0 });
  });
});

describe('proof of work in the page', () => {
  it('counts leading zero bits as the server does', () => {
    for (let i = 0; i < 200; i++) {
      const hash = createHash('sha256').update(`x${i}`).digest();
      hash[0] = i % 3 === 0 ? 0 : hash[0]!; // some with a zero first byte
      expect(leadingZeroBits(new Uint8Array(hash))).toBe(serverLeadingZeroBits(hash));
    }
    expect(leadingZeroBits(new Uint8Array(32))).toBe(256);
  });

  it('finds a nonce the server accepts, reporting progress on the way', async () => {
    const challenge = 'k1.eyJjIjoia29yZWEtMjAyMS0wOCJ9.c2lnbmF0dXJl';
    const bits = 12;
    const seen: number[] = [];
    const nonce = await solvePow(challenge, bits, (p) => seen.push(p));
    expect(nonce).not.toBeNull();
    expect(serverLeadingZeroBits(powHash(challenge, nonce!))).toBeGreaterThanOrEqual(bits);
    expect(seen.every((p) => p >= 0 && p <= 99)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('stops when told (an expired challenge)', async () => {
    let calls = 0;
    expect(await solvePow('c', 40, () => {}, () => ++calls > 2)).toBeNull();
  });

  it('shows progress as the chance of having found it, below 100 %', () => {
    expect(powPercent(0, 16)).toBe(0);
    expect(powPercent(65_536, 16)).toBe(63);
    expect(powPercent(1e9, 16)).toBe(99);
  });
});
