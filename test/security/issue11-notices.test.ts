/**
 * Security review of the notices (issue #11). A proxy (or an agent) types a beneficiary's name
 * and phone; nobody vouches for either, and the outbox worker now sends "[예약] <name>님, …" from
 * the service's own sender to that phone. A "name" like "http://evil.kr 재인증" — one line of
 * visible text, which the form accepts — would put a phishing link into an official SMS sent to
 * anyone's phone. Names that cannot be a name (digits, URL or mail punctuation, over 40
 * characters) are left out of the text; the notice still goes, without them. An emoji name is
 * still refused as unencodable (templates.test.ts). And the webhook provider never follows a
 * redirect, nor names its URL (which may hold a token) in an error.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isPlainText } from '../../src/core/schemas.ts';
import { WebhookProvider } from '../../src/notifications/providers/webhook.ts';
import { render } from '../../src/notifications/templates.ts';
import { addNotices, addPerson, FakeClock, FakeProvider, FakeRemote, openStore, START, worker, type Store } from '../notifications/fixture.ts';

const LURES = ['http://evil.kr 재인증', '질병청 evil.kr 접속', '010-9999-0000 연락', 'kdca@evil.kr', '가'.repeat(41)];

describe('a beneficiary name that is a lure never reaches an SMS', () => {
  let store: Store;
  let clock: FakeClock;
  beforeEach(async () => {
    store = await openStore('pglite');
    clock = new FakeClock(START);
  });
  afterEach(async () => store.close());

  it('the form takes such a name (one line of visible text), so the template must not pass it on', () => {
    for (const lure of LURES.slice(0, 4)) expect(isPlainText(lure)).toBe(true);
  });

  it('the worker sends the notice without the lure; a real name (Korean, or with a hyphen or apostrophe) is kept', async () => {
    const people = await Promise.all([...LURES, '김민준', "Jean-Luc O'Neil"].map((name, i) => addPerson(store.db, name, `010-5555-${String(1000 + i)}`)));
    for (const p of people) await addNotices(store.db, clock, p, 1);
    const remote = new FakeRemote();
    expect(await worker(store.db, clock, new FakeProvider(remote)).runOnce()).toMatchObject({ claimed: people.length, sent: people.length });
    const texts = [...remote.delivered.values()].sort((a, b) => a.id - b.id).map((m) => m.text);
    expect(texts).toHaveLength(people.length);
    for (const text of texts.slice(0, LURES.length)) {
      expect(text).not.toMatch(/evil|9999|가{41}|재인증|연락/);
      expect(text).not.toContain('님,');
    }
    expect(texts[LURES.length]).toContain('김민준님');
    expect(texts[LURES.length + 1]).toContain("Jean-Luc O'Neil");
  });

  it('render leaves the lure out in English too', () => {
    const r = render('reservation.cancelled', { personId: 1, bookingNumber: 'K7M2-9QX4-PT3A', lang: 'en' }, { personName: 'http://evil.kr', clinicName: null, vaccineName: null, campaignName: null });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.text).not.toContain('evil');
  });
});

describe('the webhook provider', () => {
  let target: { server: Server; url: string; hits: number };
  let redirector: Server;
  let redirectorUrl: string;
  beforeAll(async () => {
    const listen = async (s: Server) => {
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    };
    const t = { hits: 0 } as { server: Server; url: string; hits: number };
    t.server = createServer((_req, res) => {
      t.hits++;
      res.end('{}');
    });
    t.url = await listen(t.server);
    target = t;
    redirector = createServer((_req, res) => {
      res.writeHead(307, { location: `${target.url}/stolen` });
      res.end();
    });
    redirectorUrl = await listen(redirector);
  });
  afterAll(() => {
    for (const s of [target.server, redirector]) {
      s.closeAllConnections();
      s.close();
    }
  });

  const notice = { id: 1, topic: 'reservation.cancelled', to: '010-1234-5678', text: '[예약] 취소되었습니다.', kind: 'sms' as const, bytes: 22, lang: 'ko' as const };

  it('a 307 to elsewhere is not followed (the notice and its phone stay where configured): a permanent failure', async () => {
    const r = await new WebhookProvider(`${redirectorUrl}/hook`).send(notice, 'yeyak-outbox-1');
    expect(r).toEqual({ ok: false, retryable: false, error: 'WEBHOOK_HTTP_307' });
    expect(target.hits).toBe(0);
  });

  it('a network error names neither the URL nor its token', async () => {
    const r = await new WebhookProvider('http://hook-user:s3cr3t-pass@127.0.0.1:1/hook?token=s3cr3t-token', 1_000).send(notice, 'yeyak-outbox-2');
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toMatch(/s3cr3t|hook-user|127\.0\.0\.1/);
  });
});
