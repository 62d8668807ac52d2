/**
 * The verified-ticket cache (src/waiting-room/tokens.ts VerifiedTokens): a status poll's ticket
 * is found again without its HMAC, and nothing else changes — a forged or altered token is still
 * refused after the genuine one was cached, what the claims say about time is still checked on
 * every use, and the cache stays within its bound.
 */
import { describe, expect, it } from 'vitest';
import { checkSolution, issueChallenge, POW_CHALLENGE_TTL_MS, solve } from '../../src/waiting-room/pow.ts';
import { ticketClaims, ticketOf, TokenSigner, VerifiedTokens, type Ticket } from '../../src/waiting-room/tokens.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { korea202108Campaign } from '../../src/rules/korea-2021-08.ts';
import { MemoryQueueStore } from '../../src/waiting-room/memory-store.ts';
import { WaitingRoom } from '../../src/waiting-room/service.ts';
import { CAMPAIGN } from './helpers.ts';

const keys = [{ kid: 'k1', secret: 'cache-test-secret-0123456789' }];
const ticket: Ticket = { campaignId: CAMPAIGN, seq: 7, issuedAtMs: 1628506805000, device: 'device-a', preQueue: false, promisedEtaSeconds: 30 };

/** The same token with one character of `part` (0 kid, 1 body, 2 MAC) changed. */
function altered(token: string, part: 0 | 1 | 2): string {
  const parts = token.split('.');
  const p = parts[part] as string;
  const i = Math.floor(p.length / 2);
  parts[part] = `${p.slice(0, i)}${p[i] === 'A' ? 'B' : 'A'}${p.slice(i + 1)}`;
  return parts.join('.');
}

describe('verified ticket cache', () => {
  it('answers a ticket seen before from the cache, with the same claims', () => {
    const signer = new TokenSigner(keys, 'ticket', { cacheSize: 8 });
    const token = signer.sign(ticketClaims(ticket));
    expect(ticketOf(signer.verify(token))).toEqual(ticket);
    expect(signer.verified?.misses).toBe(1);
    expect(ticketOf(signer.verify(token))).toEqual(ticket);
    expect(signer.verified?.hits).toBe(1);
    // Shared between polls: frozen, so no caller can change what the next one reads.
    expect(Object.isFrozen(signer.verify(token))).toBe(true);
  });

  it('still refuses an altered or forged token after the genuine one was cached', () => {
    const signer = new TokenSigner(keys, 'ticket', { cacheSize: 8 });
    const token = signer.sign(ticketClaims(ticket));
    expect(signer.verify(token)).not.toBeNull();
    for (const part of [0, 1, 2] as const) expect(signer.verify(altered(token, part))).toBeNull();
    // Another key's ticket with the very same claims, and the body of the cached one re-signed by it.
    const forger = new TokenSigner([{ kid: 'k1', secret: 'not-the-servers-secret-000' }], 'ticket');
    expect(signer.verify(forger.sign(ticketClaims(ticket)))).toBeNull();
    expect(signer.verify(`${token}.extra`)).toBeNull();
    // A pass signer holding the same keys never takes the cached ticket (the purpose is in the MAC).
    expect(new TokenSigner(keys, 'pass', { cacheSize: 8 }).verify(token)).toBeNull();
    // Refusals are not cached: the same forgery is refused again, and only the genuine token is held.
    expect(signer.verify(altered(token, 2))).toBeNull();
    expect(signer.verified?.size).toBe(1);
  });

  it('keeps expiry on cached entries: a challenge verified (and cached) while fresh is refused once it has expired', () => {
    // Whatever a token's claims say about time is checked by its reader on every use, cached or not.
    const signer = new TokenSigner(keys, 'pow', { cacheSize: 8 });
    const issuedAt = 1_628_506_805_000;
    const { challenge } = issueChallenge(signer, CAMPAIGN, 1, issuedAt);
    const nonce = solve(challenge, 1);
    expect(checkSolution(signer, CAMPAIGN, 1, challenge, nonce, issuedAt + 1)).toBe(true);
    expect(checkSolution(signer, CAMPAIGN, 1, challenge, nonce, issuedAt + POW_CHALLENGE_TTL_MS)).toBe(false);
    expect(signer.verified?.hits).toBe(1);
  });

  it('is bounded: the oldest token goes first', () => {
    const cache = new VerifiedTokens(3);
    cache.add('a', { n: 1 });
    cache.add('b', { n: 2 });
    cache.add('c', { n: 3 });
    cache.add('d', { n: 4 }); // a goes
    expect(cache.size).toBe(3);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual({ n: 2 });
    expect(cache.get('d')).toEqual({ n: 4 });
    const signer = new TokenSigner(keys, 'ticket', { cacheSize: 5 });
    for (let seq = 1; seq <= 50; seq++) signer.verify(signer.sign(ticketClaims({ ...ticket, seq })));
    expect(signer.verified?.size).toBe(5);
    expect(() => new VerifiedTokens(0)).toThrow();
  });
});

describe('status poll of a cached ticket', () => {
  it('a place admitted and left unclaimed past its claim window answers TICKET_LAPSED, though its ticket comes from the cache', async () => {
    const campaign = { ...korea202108Campaign(), queueOrder: 'queue-first' as const };
    const registry = { get: (id: string) => (id === campaign.id ? campaign : undefined), list: () => [campaign] };
    const clock = new FakeClock('2021-08-09T20:00:05+09:00');
    const store = new MemoryQueueStore(() => ({ ratePerS: 10, activeMax: 100, paused: false, notice: null, powBits: 0 }), () => clock.nowMs());
    const tickets = new TokenSigner(keys, 'ticket', { cacheSize: 8 });
    const claimWindowMs = 300_000;
    const room = new WaitingRoom(store, clock, registry, { tickets, passes: new TokenSigner(keys, 'pass'), passTtlMs: 600_000, claimWindowMs, stateRefreshMs: 10 });
    const holder = { device: undefined, personId: undefined };
    const joined = await room.join(CAMPAIGN, holder, undefined);
    expect((await room.status(joined.ticket, holder)).state).toBe('waiting');
    expect(tickets.verified?.size).toBe(1);
    // Admitted; nobody polls until the claim window has passed.
    await store.advance(CAMPAIGN, joined.position ?? 1, 10, 0, { atMs: clock.nowMs(), keepMs: claimWindowMs });
    clock.advance(claimWindowMs + 1_000);
    await store.advance(CAMPAIGN, joined.position ?? 1, 10, 0, { atMs: clock.nowMs(), keepMs: claimWindowMs });
    room.invalidate(CAMPAIGN);
    const hits = tickets.verified?.hits ?? 0;
    await expect(room.status(joined.ticket, holder)).rejects.toMatchObject({ code: 'YEYAK_E_TICKET_LAPSED' });
    expect(tickets.verified?.hits).toBe(hits + 1);
  });
});
