import { describe, expect, it } from 'vitest';
import { passClaims, passOf, ticketClaims, ticketOf, TokenSigner, type Pass, type Ticket } from '../../src/waiting-room/tokens.ts';

// Tokens as the service signed them before the fields had whole-word names in the code (made
// with that build, same key): tickets and passes already issued must still verify and decode,
// and the same ticket or pass must sign to the same bytes.
const keys = [{ kid: 'k1', secret: 'wire-format-secret-0123456789' }];
const tickets = new TokenSigner(keys, 'ticket');
const passes = new TokenSigner(keys, 'pass');

const issued = {
  anonTicket:
    'k1.eyJjIjoia29yZWEtMjAyMS0wOCIsInMiOjcsInQiOjE2Mjg1MDY4MDUwMDAsImQiOiJkZXZpY2UtYSIsInByZSI6dHJ1ZSwiZSI6MzB9.MLqTBTlt2iza_RBSOBzKBRLW4tTMpxGY9_0gxUUJrQQ',
  personTicket:
    'k1.eyJjIjoia29yZWEtMjAyMS0wOCIsInMiOjEyLCJ0IjoxNjI4NTA2ODA2MDAwLCJkIjoiZGV2aWNlLWIiLCJwcmUiOmZhbHNlLCJwIjo0MiwiZSI6MH0.29T3dlTxbpxMtFOCjWkcQ42fgLv4mcD_MvEzG9R0bmI',
  anonPass:
    'k1.eyJjIjoia29yZWEtMjAyMS0wOCIsIm4iOjcsImQiOiJkZXZpY2UtYSIsImV4cCI6MTYyODUwNzQwNTAwMH0.gFQ9Ul8dOXJpA3SEy7OKd_Ad0I-xS_kcAW_sUyWM5AA',
  personPass:
    'k1.eyJjIjoia29yZWEtMjAyMS0wOCIsIm4iOjEyLCJkIjoiZGV2aWNlLWIiLCJleHAiOjE2Mjg1MDc0MDYwMDAsInAiOjQyfQ.EaHXWbR8A7fvfZ07kyfW48AraXsYcESIcyH3U9pY1LQ',
};

const anonTicket: Ticket = { campaignId: 'korea-2021-08', seq: 7, issuedAtMs: 1628506805000, device: 'device-a', preQueue: true, promisedEtaSeconds: 30 };
const personTicket: Ticket = {
  campaignId: 'korea-2021-08',
  seq: 12,
  issuedAtMs: 1628506806000,
  device: 'device-b',
  preQueue: false,
  personId: 42,
  promisedEtaSeconds: 0,
};
const anonPass: Pass = { campaignId: 'korea-2021-08', position: 7, device: 'device-a', expiresAtMs: 1628507405000 };
const personPass: Pass = { campaignId: 'korea-2021-08', position: 12, device: 'device-b', expiresAtMs: 1628507406000, personId: 42 };

describe('ticket and pass wire format', () => {
  it('tickets already issued decode to whole-word fields, and the same ticket signs to the same token', () => {
    expect(ticketOf(tickets.verify(issued.anonTicket))).toEqual(anonTicket);
    expect(ticketOf(tickets.verify(issued.personTicket))).toEqual(personTicket);
    expect(tickets.sign(ticketClaims(anonTicket))).toBe(issued.anonTicket);
    expect(tickets.sign(ticketClaims(personTicket))).toBe(issued.personTicket);
  });

  it('passes already issued decode to whole-word fields, and the same pass signs to the same token', () => {
    expect(passOf(passes.verify(issued.anonPass))).toEqual(anonPass);
    expect(passOf(passes.verify(issued.personPass))).toEqual(personPass);
    expect(passes.sign(passClaims(anonPass))).toBe(issued.anonPass);
    expect(passes.sign(passClaims(personPass))).toBe(issued.personPass);
  });

  it('claims that are not a ticket or a pass decode to null; a ticket is never a pass', () => {
    expect(ticketOf(null)).toBeNull();
    expect(ticketOf({ c: 'x', s: 0, t: 1, d: 'd', pre: false })).toBeNull(); // numbers start at 1
    expect(ticketOf({ c: 'x', s: 1, t: 1, d: 'd' })).toBeNull();
    expect(passOf({ c: 'x', n: 1.5, d: 'd', exp: 1 })).toBeNull();
    expect(passes.verify(issued.anonTicket)).toBeNull(); // the purpose is part of the MAC
  });
});
