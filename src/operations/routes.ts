import type { FastifyInstance } from 'fastify';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db.ts';
import type { Campaign, CampaignLookup } from '../rules/campaign.ts';
import { openWindows } from '../rules/windows.ts';
import { formatLocal, isoInZone } from '../rules/time.ts';
import type { Metrics } from '../core/metrics.ts';
import * as sql from './sql.ts';

export interface OperationsDeps {
  db: Db;
  clock: Clock;
  campaigns: CampaignLookup;
  /** The first day a dose 1 may be booked (booking's lead days). */
  firstBookableDay(c: Campaign): string;
  /** Bookings waiting for a batch on this node (booking). */
  bookingQueueWaiting(): number;
  /** The in-process availability view: when it last followed the store, and first doses left. */
  availability: { readonly lastRefreshMs: number; campaignRemaining(campaignId: string, fromDay: string): number };
  metrics: Metrics;
  availabilityStaleMs: number;
  /** The sandbox identity answers for some method: pages show a banner (every answer has the header). */
  sandbox: boolean;
}

/** On every answer while the sandbox identity is on (src/app.ts). */
export const SANDBOX_HEADER = 'yeyak-sandbox';

const SANDBOX_BANNER = `<p class="sandbox" role="alert"><b>모의 본인인증 (sandbox)</b> — 인증번호 000000으로 누구나 인증됩니다. 실제 예약이 아닙니다.<br>
<b>Sandbox identity</b>: the code 000000 verifies anyone. Nothing booked here is real.</p>`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export async function operationsRoutes(app: FastifyInstance, deps: OperationsDeps): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    // Ready means: the store answers and the availability view is following it.
    const ageMs = deps.clock.monotonicMs() - deps.availability.lastRefreshMs;
    try {
      await sql.pingStore(deps.db);
    } catch {
      return reply.status(503).send({ status: 'unavailable', store: 'down' });
    }
    if (ageMs > deps.availabilityStaleMs) return reply.status(503).send({ status: 'unavailable', availabilityAgeMs: Math.round(ageMs) });
    // The store's host, port and name are for staff (GET /api/v1/admin/overview), not the public.
    return { status: 'ok', store: 'up', availabilityAgeMs: Math.round(ageMs) };
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  // What this node runs (the citizens' landing page is `/`, src/pages).
  app.get('/status', { schema: { hide: true } }, async (_request, reply) => {
    const now = deps.clock.now();
    const rows = deps.campaigns.list().map((c) => {
      const open = openWindows(c, now);
      const openText = open.length
        ? open.map((w) => `${escapeHtml(w.labelKo)} (${escapeHtml(w.labelEn)}) — ~${formatLocal(w.closesAt, c.timeZone, 'ko')}`).join('<br>')
        : '지금 열린 예약 기간이 없습니다 / No window is open now';
      const remaining = deps.availability.campaignRemaining(c.id, deps.firstBookableDay(c));
      return `<tr><td><b>${escapeHtml(c.nameKo)}</b><br>${escapeHtml(c.nameEn)}<br><code>${escapeHtml(c.id)}</code></td>
        <td>${openText}</td><td>${remaining.toLocaleString('ko-KR')}</td><td>${escapeHtml(isoInZone(now, c.timeZone))}</td></tr>`;
    });
    reply.type('text/html; charset=utf-8');
    return `<!doctype html><html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>yeyak 예약</title><style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.5rem;vertical-align:top;text-align:left}
.sandbox{background:#fff3cd;border:2px solid #b58100;padding:.75rem;font-size:1.05rem}</style></head>
<body>${deps.sandbox ? SANDBOX_BANNER : ''}<h1>yeyak — 백신 사전예약 / vaccination pre-reservation</h1>
<p>실행 중 / running</p>
<table><tr><th>예약 사업 / campaign</th><th>열린 예약 기간 / open window</th><th>남은 1차 접종 / first doses left</th><th>현재 시각 / now</th></tr>
${rows.join('\n')}</table>
<p><a href="/docs">API 문서 / API docs</a> · <a href="/api/v1/openapi.json">OpenAPI</a> · <a href="/healthz">healthz</a> · <a href="/metrics">metrics</a></p>
</body></html>`;
  });
}

export async function adminRoutes(app: FastifyInstance, deps: OperationsDeps): Promise<void> {
  app.get(
    '/admin/overview',
    {
      config: { staff: { roles: ['operator'] } },
      schema: {
        tags: ['admin'],
        summary: 'Live counts per campaign (staff only)',
        security: [{ admin: [] }],
      },
    },
    async () => {
      const byCampaign = await sql.reservationCounts(deps.db);
      return {
        store: deps.db.describe(),
        bookingQueueWaiting: deps.bookingQueueWaiting(),
        campaigns: deps.campaigns.list().map((c) => ({
          id: c.id,
          confirmed: byCampaign.get(c.id)?.confirmed ?? 0,
          cancelled: byCampaign.get(c.id)?.cancelled ?? 0,
          remainingFirstDoses: deps.availability.campaignRemaining(c.id, deps.firstBookableDay(c)),
        })),
      };
    },
  );
}
