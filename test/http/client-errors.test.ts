/**
 * What Node's HTTP parser refuses never reaches Fastify's router (and `inject` bypasses the
 * parser), so these tests talk to a real listening port over raw TCP: every refusal is a whole
 * HTTP response whose body is a catalogue error (core/http.ts answerClientError).
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { errorCatalogue, type ErrorCode } from '../../src/core/errors.ts';
import { answerClientError } from '../../src/core/http.ts';

let t: TestApp;
let port: number;

beforeAll(async () => {
  t = await createTestApp({ config: { adminToken: 'client-errors-operator-Hk3Vn8Qw2Lp6Zr9' } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await t?.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Parses one HTTP/1.1 response that ends with the connection (what a refusal is). */
function parse(raw: Buffer): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no header end in ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`);
  const [statusLine, ...lines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine ?? '')?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: raw.subarray(split + 4) };
}

/** Writes `request` as raw bytes and collects everything the server sends until it closes. */
function rawExchange(request: string | Buffer, target: { port: number } = { port }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: target.port });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // The server may reset after answering; what arrived is the answer.
      if (e.code !== 'ECONNRESET' || chunks.length === 0) reject(e);
    });
    socket.on('close', () => {
      try {
        resolve(parse(Buffer.concat(chunks)));
      } catch (e) {
        reject(e);
      }
    });
    socket.write(request);
  });
}

/** The answer is `code` in the catalogue's shape, its status the catalogue's, its length exact. */
function expectCatalogue(res: RawResponse, code: ErrorCode): void {
  expect(res.status, res.body.toString()).toBe(errorCatalogue[code].status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Number(res.headers['content-length'])).toBe(res.body.length);
  expect(res.headers.connection).toBe('close');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  const body = JSON.parse(res.body.toString('utf8')) as { error: { code: string; message: string; messageKo: string } };
  expect(body.error).toEqual({ code, message: errorCatalogue[code].message, messageKo: errorCatalogue[code].messageKo });
}

describe('the HTTP parser refuses: catalogue answers on a real port', () => {
  it('control: a well-formed raw request is answered by the app', async () => {
    const res = await rawExchange('GET /api/v1/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body.toString()).error.code).toBe('YEYAK_E_NOT_FOUND');
  });

  it('header fields larger than the limit → 431 YEYAK_E_HEADERS_TOO_LARGE', async () => {
    const res = await rawExchange(`GET /api/v1/campaigns HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    expectCatalogue(res, 'YEYAK_E_HEADERS_TOO_LARGE');
    // The test app verifies through the sandbox: even the parser's refusals say so (issue #7).
    expect(res.headers['yeyak-sandbox']).toBe('identity');
  });

  it.each([
    { name: 'a request line that is not HTTP', request: 'HELLO THERE\r\n\r\n' },
    { name: 'a space in a header name', request: 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n' },
    { name: 'a NUL in a header value', request: 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n' },
    { name: 'Content-Length and Transfer-Encoding together (smuggling)', request: 'POST /api/v1/identity/challenges HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' },
    { name: 'a Content-Length that is not a number', request: 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n' },
    { name: 'a broken chunk size', request: 'POST /api/v1/identity/challenges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n' },
  ])('$name → 400 YEYAK_E_BAD_REQUEST', async (c) => {
    expectCatalogue(await rawExchange(c.request), 'YEYAK_E_BAD_REQUEST');
  });

  it('the server keeps serving after the refusals', async () => {
    const res = await rawExchange('GET /api/v1/campaigns HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(res.status).toBe(200);
  });
});

describe('answerClientError on a socket of its own', () => {
  /** A connected pair: the handler writes on `server`, the test reads on the client side. */
  async function socketPair(): Promise<{ server: Socket; answer: Promise<RawResponse>; close: () => void }> {
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
    const client = connect({ host: '127.0.0.1', port: (listener.address() as AddressInfo).port });
    const chunks: Buffer[] = [];
    client.on('data', (c: Buffer) => chunks.push(c));
    const answer = new Promise<RawResponse>((resolve, reject) => {
      client.on('error', reject);
      client.on('close', () => {
        try {
          resolve(parse(Buffer.concat(chunks)));
        } catch (e) {
          reject(e);
        }
      });
    });
    const server = await accepted;
    listener.close();
    return { server, answer, close: () => { server.destroy(); client.destroy(); } };
  }

  it('a request that never finished arriving (ERR_HTTP_REQUEST_TIMEOUT) → 408 YEYAK_E_REQUEST_TIMEOUT', async () => {
    const pair = await socketPair();
    answerClientError(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), pair.server);
    expectCatalogue(await pair.answer, 'YEYAK_E_REQUEST_TIMEOUT');
  });

  it('an unknown parser error → 400 YEYAK_E_BAD_REQUEST', async () => {
    const pair = await socketPair();
    answerClientError(Object.assign(new Error('odd'), { code: 'HPE_SOMETHING_NEW' }), pair.server);
    expectCatalogue(await pair.answer, 'YEYAK_E_BAD_REQUEST');
  });

  it('a reset connection gets nothing written', async () => {
    const pair = await socketPair();
    pair.answer.catch(() => undefined); // closed without an answer, as intended
    const writes: unknown[] = [];
    pair.server.write = ((chunk: unknown) => writes.push(chunk) > 0) as Socket['write'];
    pair.server.end = ((chunk: unknown) => {
      writes.push(chunk);
      return pair.server;
    }) as Socket['end'];
    answerClientError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), pair.server);
    expect(writes).toEqual([]);
    pair.close();
  });
});
