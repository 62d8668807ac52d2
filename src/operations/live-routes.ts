import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { YeyakError } from '../core/errors.ts';
import { idParams } from '../core/schemas.ts';
import { requireCampaign, type CampaignLookup } from '../rules/campaign.ts';
import type { LiveFeed } from './live.ts';
import { LIVE_STREAM_DEFAULTS } from './live-stream.ts';

export interface LiveRouteDeps {
  feed: LiveFeed;
  campaigns: CampaignLookup;
}

const light = { type: 'string', enum: ['green', 'yellow', 'red', 'grey'] } as const;
const perS = { type: 'number', minimum: 0 } as const;
const nullableSeconds = { type: 'number', nullable: true } as const;

/** The snapshot's shape (docs and response serialisation: no field leaves unless listed). */
const snapshotSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['at', 'campaignId', 'queue', 'eta', 'identity', 'bookings', 'remainingByRegion'],
  properties: {
    at: { type: 'string', format: 'date-time' },
    campaignId: { type: 'string' },
    queue: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', description: 'the campaign has a waiting room' },
        waiting: { type: 'integer' },
        activePasses: { type: 'integer' },
        activeMax: { type: 'integer' },
        ratePerS: { type: 'number', description: 'the admission rate set' },
        paused: { type: 'boolean' },
        notice: { type: 'object', nullable: true, properties: { ko: { type: 'string' }, en: { type: 'string' } } },
        powBits: { type: 'integer' },
        joinsPerS: { ...perS, description: 'new places per second (the whole line)' },
        admissionsPerS: { ...perS, description: 'positions admitted per second (the whole line)' },
        shuffle: {
          type: 'object',
          properties: {
            enabled: { type: 'boolean' },
            seedCommitment: { type: 'string', nullable: true, description: "the shuffle seed's commitment, as GET /campaigns/{id}/fairness publishes it, from its draw before the opening" },
            doneAt: { type: 'string', nullable: true, format: 'date-time' },
          },
        },
      },
    },
    eta: {
      type: 'object',
      description: 'places admitted in the last 5 min (those this node served): median ETA shown at join vs median wait had',
      properties: { shownSeconds: nullableSeconds, actualSeconds: nullableSeconds },
    },
    identity: { type: 'array', items: { type: 'object', properties: { method: { type: 'string' }, light } } },
    bookings: {
      type: 'object',
      description: "this node's booking attempts per second (every campaign): new bookings, and refusals by code",
      properties: { perS, errorsByCode: { type: 'object', additionalProperties: perS } },
    },
    remainingByRegion: {
      type: 'array',
      description: '시/도 with clinics in the campaign: first doses left from the first bookable day',
      items: { type: 'object', properties: { code: { type: 'string' }, nameKo: { type: 'string' }, nameEn: { type: 'string' }, remaining: { type: 'integer' } } },
    },
  },
} as const;

const params = idParams('campaignId');
const operatorOnly = { staff: { roles: ['operator'] as const } };

/** GET /admin/live/:campaignId (one snapshot) and …/events (server-sent events): operators. */
export async function liveRoutes(app: FastifyInstance, deps: LiveRouteDeps): Promise<void> {
  const { streams } = deps.feed;
  // Before the server stops taking connections and waits for the open ones: end the streams.
  app.addHook('preClose', async () => streams.stopAll());

  app.get<{ Params: { campaignId: string } }>(
    '/admin/live/:campaignId',
    {
      config: operatorOnly,
      schema: { tags: ['admin'], summary: "The opening's live snapshot: line, ETA, verification lights, bookings, doses left per 시/도", security: [{ admin: [] }], params, response: { 200: snapshotSchema, '4xx': { $ref: 'Error#' } } },
    },
    async (request, reply) => {
      requireCampaign(deps.campaigns, request.params.campaignId);
      reply.header('cache-control', 'no-store');
      return deps.feed.snapshot(request.params.campaignId);
    },
  );

  app.get<{ Params: { campaignId: string } }>(
    '/admin/live/:campaignId/events',
    {
      config: operatorOnly,
      schema: {
        tags: ['admin'],
        summary: 'The live snapshot as server-sent events: `event: snapshot` every second',
        description: `text/event-stream. A stream ends after ${LIVE_STREAM_DEFAULTS.streamMsMax / 1000} s (EventSource reconnects by itself); at most ${LIVE_STREAM_DEFAULTS.streamsMax} per node (429 YEYAK_E_BUSY).`,
        security: [{ admin: [] }],
        params,
        response: { '4xx': { $ref: 'Error#' } },
      },
    },
    async (request, reply) => {
      const campaignId = requireCampaign(deps.campaigns, request.params.campaignId).id;
      if (streams.full) throw new YeyakError('YEYAK_E_BUSY', 'Too many live consoles on this node; try again shortly.');
      const first = await deps.feed.snapshot(campaignId); // a failure here still answers with a catalogue error
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as OutgoingHttpHeaders), // the security headers set on request
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no', // a proxy must not hold events back
        connection: 'close', // the stream ends the connection: nothing lingers after a stop
      });
      const stop = streams.start(campaignId, { write: (chunk) => raw.write(chunk), get buffered() { return raw.writableLength; }, end: () => raw.end() }, first);
      raw.on('close', stop); // the client went (or the stream ended)
      return reply;
    },
  );
}
