/**
 * Many nodes (issue #10): two yeyak processes (`bin/yeyak.js serve`, each on its own port, started
 * at once on one fresh PostgreSQL database and one Redis database) behind Debian's nginx running
 * deploy/nginx.conf. Requests are spread over both nodes; a citizen who joins the line through one
 * node keeps the place polling through the other and books through nginx; nginx serves the
 * waiting page and the hashed assets itself, with the node's headers; the nodes count the client's
 * address that nginx forwards (never one the client forged); and nginx retries a GET on the other
 * node but never a POST that reached one.
 *
 * Needs DATABASE_URL and REDIS_URL_TEST. nginx missing: skipped with the reason, or a failure
 * under CI=true.
 */
import { request, createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts';
import { redisTestUrl } from '../helpers/redis.ts';
import { claimRedisDb, nginxBinary, startNginx, startNodes, WEB_ROOT, type ClaimedRedisDb, type RunningNginx, type YeyakNodes } from '../helpers/cluster.ts';

const NOW = '2021-08-09T20:00:05+09:00'; // window 1 (born on the 9th, 19th, 29th) has just opened
const CAMPAIGN = 'korea-2021-08';
const JOINS_PER_ADDRESS_PER_MIN = 3;
const API = '/api/v1';

const nginx = nginxBinary();
if (!nginx && process.env.CI === 'true') throw new Error('test/scaling/nginx.test.ts needs nginx (CI=true: not skipped; Debian: apt-get install nginx-light)');
const skipReason = !process.env.DATABASE_URL || !redisTestUrl ? 'needs DATABASE_URL and REDIS_URL_TEST' : !nginx ? 'nginx is not installed (apt-get install nginx-light)' : null;

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** One HTTP/1.1 request with node:http: raw bytes (no decompression), a chosen local address. */
function http(url: string, opts: { method?: string; headers?: Record<string, string>; body?: unknown; localAddress?: string } = {}): Promise<Raw> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
        agent: false,
        timeout: 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json: <T,>() => JSON.parse(buf.toString('utf8')) as T });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The pid in a Yeyak-Node header (`<host>:<pid>:<random>`). */
const pidOf = (headers: IncomingHttpHeaders) => Number(String(headers['yeyak-node'] ?? '').split(':')[1]);

describe.skipIf(skipReason !== null)('many nodes behind nginx', () => {
  let pg: TestDatabase;
  let redis: ClaimedRedisDb;
  let nodes: YeyakNodes;
  let lb: RunningNginx;

  beforeAll(async () => {
    pg = await createTestDatabase('yeyak_scaling');
    redis = await claimRedisDb(redisTestUrl as string, 'scaling');
    nodes = await startNodes({
      count: 2,
      databaseUrl: pg.url,
      redisUrl: redis.url,
      env: { YEYAK_NOW: NOW, YEYAK_SCENARIO: CAMPAIGN, YEYAK_SEED_CLINICS: '12', YEYAK_JOIN_PER_IP_PER_MIN: String(JOINS_PER_ADDRESS_PER_MIN) },
    });
    lb = await startNginx({ upstreams: nodes.urls });
  });

  afterAll(async () => {
    await lb?.stop();
    await nodes?.stop();
    await redis?.release();
    await pg?.drop();
  });

  it('two nodes started at once on one empty database: one seeds it, both serve it', async () => {
    const outputs = [nodes.output(0), nodes.output(1)].join('\n');
    expect(outputs.match(/Seeded korea-2021-08:/g)).toHaveLength(1);
    for (const url of nodes.urls) {
      const list = (await http(`${url}${API}/campaigns`)).json<{ id: string }[]>();
      expect(list.map((c) => c.id)).toEqual([CAMPAIGN]);
    }
  });

  it('requests through nginx are spread over both nodes (the Yeyak-Node header names the one that answered)', async () => {
    const pids = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const res = await http(`${lb.url}/healthz`);
      expect(res.status).toBe(200);
      pids.add(pidOf(res.headers));
    }
    expect([...pids].sort()).toEqual([...nodes.pids].sort());
  });

  it('a citizen joins through one node, polls through the other keeping the place, and books through nginx', async () => {
    const [a, b] = nodes.urls as [string, string];
    const challenge = await http(`${a}${API}/identity/challenges`, {
      method: 'POST',
      body: { method: 'pass', name: '홍길동', rrn: '900829-1000001', phone: '010-0000-0000' },
    });
    expect(challenge.status).toBe(201);
    const verified = await http(`${b}${API}/identity/challenges/${challenge.json().challengeId as string}/verify`, { method: 'POST', body: { code: '000000' } });
    expect(verified.status).toBe(200);
    const { sessionToken, device } = verified.json<{ sessionToken: string; device: string }>();
    const citizen = { authorization: `Bearer ${sessionToken}`, 'yeyak-device': device };

    const joined = await http(`${a}${API}/campaigns/${CAMPAIGN}/queue`, { method: 'POST', headers: citizen });
    expect(joined.status).toBe(201);
    expect(pidOf(joined.headers)).toBe(nodes.pids[0]);
    const { ticket, position } = joined.json<{ ticket: string; position: number }>();
    // Joining again through the other node with the ticket keeps the place.
    const again = await http(`${b}${API}/campaigns/${CAMPAIGN}/queue`, { method: 'POST', headers: { ...citizen, 'yeyak-ticket': ticket } });
    expect(again.status).toBe(201);
    expect(pidOf(again.headers)).toBe(nodes.pids[1]);
    expect(again.json().position).toBe(position);

    // Poll as told, turn and turn about, until admitted.
    let status: { state: string; position?: number; pass?: string; pollAfterMs: number } = { state: 'waiting', pollAfterMs: 0 };
    for (let i = 0; i < 60 && status.state !== 'admitted'; i++) {
      await new Promise((r) => setTimeout(r, Math.min(status.pollAfterMs, 2_000)));
      const res = await http(`${i % 2 === 0 ? b : a}${API}/queue/status`, { headers: { authorization: `Bearer ${ticket}`, 'yeyak-device': device } });
      expect(res.status).toBe(200);
      status = res.json();
      expect(status.position).toBe(position);
    }
    expect(status.state).toBe('admitted');

    const dates = (await http(`${lb.url}${API}/campaigns/${CAMPAIGN}/clinics/C000001/dates`)).json<{ date: string }[]>();
    const booking = { method: 'POST', headers: { ...citizen, 'yeyak-pass': status.pass as string, 'idempotency-key': 'scaling-booking-1' }, body: { campaignId: CAMPAIGN, clinicId: 'C000001', date: dates[0]?.date } };
    const booked = await http(`${lb.url}${API}/reservations`, booking);
    expect(booked.status).toBe(201);
    const { bookingNumber } = booked.json<{ bookingNumber: string }>();
    // The same key through nginx again (whichever node takes it): the same booking.
    const replay = await http(`${lb.url}${API}/reservations`, booking);
    expect(replay.json().bookingNumber).toBe(bookingNumber);
    for (const url of nodes.urls) {
      const found = await http(`${url}${API}/reservations/${bookingNumber}`, { headers: citizen });
      expect(found.status).toBe(200);
    }
  });

  it('nginx serves the waiting page and the hashed assets itself, with the node’s headers', async () => {
    const page = await http(`${lb.url}/wait/`);
    expect(page.status).toBe(200);
    expect(page.headers.server).toBe('nginx');
    expect(page.headers['yeyak-node']).toBeUndefined();
    expect(page.body.toString('utf8')).toBe(readFileSync(join(WEB_ROOT, 'wait/index.html'), 'utf8'));
    const fromNode = await http(`${nodes.urls[0] as string}/wait/`);
    expect(fromNode.headers['yeyak-node']).toBeDefined();
    const compared = Object.keys(fromNode.headers).filter((h) => !['date', 'connection', 'keep-alive', 'etag', 'content-length', 'accept-ranges', 'yeyak-node', 'yeyak-sandbox'].includes(h));
    expect(compared).toEqual(expect.arrayContaining(['content-security-policy', 'cache-control', 'content-type', 'x-frame-options']));
    for (const h of compared) expect([h, String(page.headers[h]).toLowerCase()]).toEqual([h, String(fromNode.headers[h]).toLowerCase()]);

    const script = /src="(\/assets\/wait-[^"]+\.js)"/.exec(page.body.toString('utf8'))?.[1] as string;
    expect(script).toBeDefined();
    const gz = await http(`${lb.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.status).toBe(200);
    expect(gz.headers['yeyak-node']).toBeUndefined();
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(gz.body.equals(readFileSync(join(WEB_ROOT, `${script}.gz`)))).toBe(true);
    const plain = await http(`${lb.url}${script}`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(readFileSync(join(WEB_ROOT, script)))).toBe(true);

    const bare = await http(`${lb.url}/wait`);
    expect([bare.status, bare.headers.location]).toEqual([301, '/wait/']);
    // An asset this nginx does not hold (another build's, in a rolling deploy) is asked of a node.
    const other = await http(`${lb.url}/assets/not-in-this-build-0000.js`);
    expect(other.status).toBe(404);
    expect(other.headers['yeyak-node']).toBeDefined();
    // Metrics are scraped per node, not through the balancer.
    expect((await http(`${lb.url}/metrics`)).status).toBe(404);
  });

  it('the nodes count the client address nginx forwards, and never one the client forged', async () => {
    const join = (localAddress: string, headers: Record<string, string> = {}) =>
      http(`${lb.url}${API}/campaigns/${CAMPAIGN}/queue`, { method: 'POST', localAddress, headers });
    const first: number[] = [];
    const served = new Set<number>();
    for (let i = 0; i < JOINS_PER_ADDRESS_PER_MIN; i++) {
      const res = await join('127.0.0.2');
      first.push(res.status);
      served.add(pidOf(res.headers));
    }
    expect(first).not.toContain(429);
    const limited = await join('127.0.0.2');
    expect(limited.status).toBe(429);
    expect(limited.json()).toMatchObject({ error: { code: 'YEYAK_E_RATE_LIMITED' } });
    // Counted in Redis for both nodes: the joins went to both.
    expect(served.size).toBe(2);
    // Another address is counted apart — also when it claims to be the first one.
    expect((await join('127.0.0.3')).status).not.toBe(429);
    expect((await join('127.0.0.3', { 'x-forwarded-for': '127.0.0.2' })).status).not.toBe(429);
  });
});

describe.skipIf(!nginx)('deploy/nginx.conf: which requests go to another node', () => {
  const seen: { name: string; method: string; id: string }[] = [];
  const connections = { failing: 0, healthy: 0 };
  const upstreams: Server[] = [];
  let lb: RunningNginx;

  /** A fake node answering every request with `status`, recording what it saw. */
  const fakeNode = (name: 'failing' | 'healthy', status: number) =>
    new Promise<number>((resolve) => {
      const server = createServer((req, res) => {
        seen.push({ name, method: req.method ?? '', id: String(req.headers['x-test-id']) });
        req.resume();
        req.on('end', () => res.writeHead(status, { 'content-type': 'application/json' }).end('{}'));
      });
      server.on('connection', () => connections[name]++);
      upstreams.push(server);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });

  beforeAll(async () => {
    const failing = await fakeNode('failing', 502);
    const healthy = await fakeNode('healthy', 200);
    // max_fails=0: the failing node is never taken out, so every request may meet it.
    lb = await startNginx({ upstreams: [`127.0.0.1:${failing} max_fails=0`, `127.0.0.1:${healthy} max_fails=0`], webRoot: WEB_ROOT });
  });

  afterAll(async () => {
    await lb?.stop();
    for (const s of upstreams) await new Promise((r) => s.close(r));
  });

  it('a GET that meets a 502 is answered by the other node; a POST that reached a node is never sent to another', async () => {
    const gets: number[] = [];
    for (let i = 0; i < 6; i++) gets.push((await http(`${lb.url}${API}/campaigns`, { headers: { 'x-test-id': `get-${i}` } })).status);
    expect(gets).toEqual([200, 200, 200, 200, 200, 200]);
    expect(seen.filter((s) => s.method === 'GET' && s.name === 'failing').length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.method === 'GET' && s.name === 'healthy')).toHaveLength(6);

    const posts: { id: string; status: number }[] = [];
    for (let i = 0; i < 6; i++) {
      const id = `post-${i}`;
      posts.push({ id, status: (await http(`${lb.url}${API}/reservations`, { method: 'POST', headers: { 'x-test-id': id }, body: { i } })).status });
    }
    const postsSeen = seen.filter((s) => s.method === 'POST');
    // Each POST reached exactly one node, and its answer is that node's.
    expect(postsSeen.map((s) => s.id).sort()).toEqual(posts.map((p) => p.id).sort());
    for (const p of posts) expect(p.status).toBe(postsSeen.find((s) => s.id === p.id)?.name === 'failing' ? 502 : 200);
    expect(posts.filter((p) => p.status === 502).length).toBeGreaterThan(0);
    // Kept-alive connections to the nodes: far fewer than requests.
    expect(connections.healthy).toBeLessThan(seen.filter((s) => s.name === 'healthy').length);
  });
});

if (skipReason !== null) {
  describe('many nodes behind nginx', () => {
    it.skip(`skipped: ${skipReason}`, () => undefined);
  });
}
