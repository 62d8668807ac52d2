/**
 * Issue #11: the providers against local servers — the webhook (Idempotency-Key header; 2xx ok,
 * 429/5xx retried, other 4xx permanent, a timeout retried), SOLAPI's SDK pointed at a fake SOLAPI
 * (its base URL re-addressed; SMS vs LMS by CP949 bytes; 알림톡 with a template, falling back to
 * SMS when refused; de-duplicated by our key in customFields), the file and console providers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.ts';
import { backoffDelayMs, backoffStepMs, BACKOFF_CAP_MS } from '../../src/notifications/backoff.ts';
import type { OutboundNotice } from '../../src/notifications/provider.ts';
import { maskPhone } from '../../src/notifications/provider.ts';
import { ConsoleProvider } from '../../src/notifications/providers/console.ts';
import { FileProvider } from '../../src/notifications/providers/file.ts';
import { WebhookProvider } from '../../src/notifications/providers/webhook.ts';
import { SolapiProvider } from '../../src/notifications/providers/solapi.ts';
import { smsLength } from '../../src/notifications/sms-length.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function notice(id: number, text: string, topic = 'reservation.cancelled'): OutboundNotice {
  const length = smsLength(text);
  if (!length.ok) throw new Error('test text must be sendable');
  return { id, topic, to: '010-1234-5678', text, kind: length.kind, bytes: length.bytes, lang: 'ko' };
}

describe('backoff', () => {
  it('the delay is within [step/2, step], the step doubles from 5 s up to the 1 h cap (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempts, r) => {
        const step = backoffStepMs(attempts);
        const delay = backoffDelayMs(attempts, () => r);
        expect(delay).toBeGreaterThanOrEqual(step / 2);
        expect(delay).toBeLessThanOrEqual(step);
        expect(step).toBe(Math.min(BACKOFF_CAP_MS, 5_000 * 2 ** (attempts - 1)));
        expect(backoffStepMs(attempts + 1)).toBeGreaterThanOrEqual(step);
      }),
    );
  });
});

describe('webhook provider', () => {
  const seen: { key: string | undefined; body: Record<string, unknown> }[] = [];
  let statusFor: (id: number) => number = () => 200;
  let hang = false;
  let local: { server: Server; url: string };
  beforeAll(async () => {
    local = await serve((req, body, res) => {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      seen.push({ key: req.headers['idempotency-key'] as string | undefined, body: parsed });
      if (hang) return; // never answers: the provider's timeout decides
      res.statusCode = statusFor(Number(parsed['id']));
      res.end('{}');
    });
  });
  afterAll(() => {
    local.server.closeAllConnections();
    local.server.close();
  });

  it('POSTs JSON with the Idempotency-Key header; 2xx ok, 429 and 5xx retryable, other 4xx permanent', async () => {
    const provider = new WebhookProvider(`${local.url}/notices`);
    expect(await provider.send(notice(1, '예약이 취소되었습니다.'), 'yeyak-outbox-1')).toEqual({ ok: true, channel: 'webhook' });
    expect(seen[0]).toMatchObject({ key: 'yeyak-outbox-1', body: { id: 1, idempotencyKey: 'yeyak-outbox-1', to: '010-1234-5678', kind: 'sms', text: '예약이 취소되었습니다.' } });
    const answers: Record<number, unknown> = {};
    for (const [id, status] of [[2, 204], [3, 429], [4, 503], [5, 400], [6, 404]] as const) {
      statusFor = () => status;
      answers[status] = await provider.send(notice(id, 'x'), `yeyak-outbox-${id}`);
    }
    expect(answers).toEqual({
      204: { ok: true, channel: 'webhook' },
      429: { ok: false, retryable: true, error: 'WEBHOOK_HTTP_429' },
      503: { ok: false, retryable: true, error: 'WEBHOOK_HTTP_503' },
      400: { ok: false, retryable: false, error: 'WEBHOOK_HTTP_400' },
      404: { ok: false, retryable: false, error: 'WEBHOOK_HTTP_404' },
    });
  });

  it('a server that does not answer in time, or no server at all: retryable', async () => {
    hang = true;
    const slow = new WebhookProvider(`${local.url}/notices`, 200);
    expect(await slow.send(notice(7, 'x'), 'yeyak-outbox-7')).toMatchObject({ ok: false, retryable: true });
    hang = false;
    const nobody = new WebhookProvider('http://127.0.0.1:1/notices', 1_000);
    expect(await nobody.send(notice(8, 'x'), 'yeyak-outbox-8')).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/^WEBHOOK_NETWORK/) });
  });
});

/** A fake SOLAPI: records requests, refuses 알림톡 for templates it does not know, de-duplicates by our key. */
function fakeSolapi() {
  const requests: { url: string; auth: string; messages: Record<string, unknown>[] }[] = [];
  const deliveredKeys = new Map<string, Record<string, unknown>>();
  let failNext: number | null = null;
  const handler: Handler = (req, body, res) => {
    const parsed = JSON.parse(body) as { messages: Record<string, unknown>[] };
    requests.push({ url: req.url ?? '', auth: String(req.headers.authorization ?? ''), messages: parsed.messages });
    res.setHeader('content-type', 'application/json');
    if (failNext !== null) {
      res.statusCode = failNext;
      failNext = null;
      res.end(JSON.stringify({ errorCode: 'TooManyRequests', errorMessage: 'slow down 01012345678' }));
      return;
    }
    const failed: Record<string, unknown>[] = [];
    for (const m of parsed.messages) {
      const kakao = m['kakaoOptions'] as { templateId?: string } | undefined;
      if (m['type'] === 'ATA' && kakao?.templateId !== 'TPL_OK') {
        failed.push({ to: m['to'], from: m['from'], type: 'ATA', statusMessage: 'template not approved', country: '82', messageId: '', statusCode: '3034', accountId: 'A' });
        continue;
      }
      const key = (m['customFields'] as Record<string, string> | undefined)?.['idempotencyKey'] ?? '';
      if (!deliveredKeys.has(key)) deliveredKeys.set(key, m);
    }
    const total = parsed.messages.length;
    res.end(JSON.stringify({
      failedMessageList: failed,
      groupInfo: { count: { total, sentTotal: 0, sentFailed: 0, sentSuccess: 0, sentPending: total - failed.length, sentReplacement: 0, refund: 0, registeredFailed: failed.length, registeredSuccess: total - failed.length } },
      messageList: [],
    }));
  };
  return { handler, requests, deliveredKeys, failWith: (status: number) => (failNext = status) };
}

describe('SOLAPI provider (the SDK against a fake SOLAPI)', () => {
  const fake = fakeSolapi();
  let local: { server: Server; url: string };
  let provider: SolapiProvider;
  beforeAll(async () => {
    local = await serve(fake.handler);
    provider = new SolapiProvider({
      apiKey: 'TESTKEY', apiSecret: 'TESTSECRET', sender: '02-1234-5678', baseUrl: `${local.url}/solapi`, pfId: 'PF_TEST',
      alimtalkTemplates: { 'reservation.confirmed': 'TPL_OK', 'reservation.changed': 'TPL_REFUSED' },
    });
  });
  afterAll(async () => {
    await provider.close();
    local.server.closeAllConnections();
    local.server.close();
  });

  it('sends SMS for ≤ 90 bytes and LMS above, signed, with our key in customFields; a resend with the key is one delivery', async () => {
    const short = notice(11, '가'.repeat(45));
    const long = notice(12, `${'가'.repeat(45)}a`);
    expect(await provider.send(short, 'yeyak-outbox-11')).toEqual({ ok: true, channel: 'solapi:sms' });
    expect(await provider.send(long, 'yeyak-outbox-12')).toEqual({ ok: true, channel: 'solapi:lms' });
    expect(await provider.send(short, 'yeyak-outbox-11')).toEqual({ ok: true, channel: 'solapi:sms' });
    const [first, second] = fake.requests;
    expect(first?.url).toBe('/solapi/messages/v4/send-many/detail');
    expect(first?.auth).toMatch(/^HMAC-SHA256 apiKey=TESTKEY, date=.*signature=/);
    expect(first?.auth).not.toContain('TESTSECRET');
    expect(first?.messages[0]).toMatchObject({ to: '01012345678', from: '0212345678', type: 'SMS', customFields: { idempotencyKey: 'yeyak-outbox-11' } });
    expect(second?.messages[0]).toMatchObject({ type: 'LMS' });
    expect(fake.requests).toHaveLength(3);
    expect([...fake.deliveredKeys.keys()]).toEqual(['yeyak-outbox-11', 'yeyak-outbox-12']);
  });

  it('알림톡 with an approved template; a refused 알림톡 falls back to SMS at once; a topic without a template is SMS', async () => {
    fake.requests.length = 0;
    expect(await provider.send(notice(13, '예약 완료', 'reservation.confirmed'), 'yeyak-outbox-13')).toEqual({ ok: true, channel: 'solapi:ata' });
    expect(fake.requests[0]?.messages[0]).toMatchObject({ type: 'ATA', kakaoOptions: { pfId: 'PF_TEST', templateId: 'TPL_OK', disableSms: true } });
    expect(await provider.send(notice(14, '예약 변경', 'reservation.changed'), 'yeyak-outbox-14')).toEqual({ ok: true, channel: 'solapi:sms' });
    expect(fake.requests.slice(1).map((r) => r.messages[0]?.['type'])).toEqual(['ATA', 'SMS']);
    expect(await provider.send(notice(15, '취소', 'reservation.cancelled'), 'yeyak-outbox-15')).toEqual({ ok: true, channel: 'solapi:sms' });
    expect(fake.requests).toHaveLength(4);
  });

  it('429 is retryable, another 4xx permanent; the error holds codes only (no phone from the answer)', async () => {
    fake.failWith(429);
    const busy = await provider.send(notice(16, 'x'), 'yeyak-outbox-16');
    expect(busy).toEqual({ ok: false, retryable: true, error: 'SOLAPI_HTTP_429' });
    fake.failWith(400);
    const bad = await provider.send(notice(17, 'x'), 'yeyak-outbox-17');
    expect(bad).toMatchObject({ ok: false, retryable: false });
    expect(JSON.stringify(bad)).not.toContain('0101234');
  });

  it('other origins are not re-addressed (the redirect is SOLAPI-only)', async () => {
    const other = await serve((_req, _body, res) => res.end('other'));
    try {
      expect(await (await fetch(`${other.url}/x`)).text()).toBe('other');
    } finally {
      other.server.close();
    }
  });
});

describe('file and console providers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yeyak-notices-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('file: one JSON line per notice, phone masked', async () => {
    const path = join(dir, 'sub', 'notices.jsonl');
    const provider = new FileProvider(path, new FakeClock('2026-11-26T12:00:00+09:00'));
    expect(await provider.send(notice(21, '예약이 취소되었습니다.'), 'yeyak-outbox-21')).toEqual({ ok: true, channel: 'file' });
    await provider.send(notice(22, 'second'), 'yeyak-outbox-22');
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { at: '2026-11-26T03:00:00.000Z', key: 'yeyak-outbox-21', topic: 'reservation.cancelled', to: '010-****-5678', kind: 'sms', bytes: 22, lang: 'ko', text: '예약이 취소되었습니다.' },
      expect.objectContaining({ key: 'yeyak-outbox-22', text: 'second' }),
    ]);
  });

  it('console: one line, the phone masked', async () => {
    const lines: string[] = [];
    const provider = new ConsoleProvider((msg) => lines.push(msg));
    await provider.send(notice(23, '예약 취소'), 'yeyak-outbox-23');
    expect(lines).toEqual(['notice yeyak-outbox-23 reservation.cancelled → 010-****-5678 (sms, 9 B): 예약 취소']);
    expect(maskPhone('01098765432')).toBe('010-****-5432');
  });
});
