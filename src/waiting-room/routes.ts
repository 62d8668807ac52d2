import type {} from '@fastify/rate-limit'; // augments route config with rateLimit
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.ts';
import { YeyakError } from '../core/errors.ts';
import { bearerToken } from '../core/http.ts';
import { idParams, textField } from '../core/schemas.ts';
import { requireCampaign, type Campaign, type CampaignLookup, type Citizen } from '../rules/campaign.ts';
import { closedForJoin, QUEUE_JOIN_LEAD_MS_DEFAULT } from '../rules/join-window.ts';
import { personalJoinRefusal } from '../rules/join.ts';
import { checkSolution, issueChallenge, POW_CHALLENGE_TTL_MS } from './pow.ts';
import type { TokenSigner } from './tokens.ts';
import type { Holder } from './passes.ts';
import type { WaitingRoom } from './service.ts';
import type { Metrics } from '../core/metrics.ts';

export const TICKET_COOKIE = 'yeyak_ticket';
/** Status polls logged: 1 in this many successful ones (src/app/http.ts EdgeLogController). */
export const STATUS_LOG_EVERY = 100;

/**
 * What the waiting room needs of identity, which owns sessions and devices (the app wires it:
 * identity/request-session.ts sessionOf, identity/devices.ts holderOf and setDeviceCookie).
 */
export interface QueueAuth {
  /**
   * The request's live session, if any: the session cookie's — or, with `bearer`, the
   * Authorization: Bearer token's when there is one. Expired, logged out or forged: null.
   */
  sessionOf(request: FastifyRequest, from: { bearer: boolean }): Citizen | null;
  /**
   * The device and (optional) person behind a request. The device is always one the server
   * signed: with a session, the session's own (a genuine id of another device on a write → 403
   * DEVICE_MISMATCH; a forged one is ignored); without, the genuine id presented or a fresh one.
   */
  holderOf(request: FastifyRequest, session: Citizen | null): Holder & { device: string };
  /** Remembers the device on the client (the device cookie). */
  setDeviceCookie(reply: FastifyReply, device: string): void;
}

export interface QueueRouteDeps {
  room: WaitingRoom;
  campaigns: CampaignLookup;
  clock: Clock;
  auth: QueueAuth;
  powSigner: TokenSigner;
  joinPerIpPerMin: number;
  /** Joins open this long before a window (default 1 h); earlier, or after the last → CAMPAIGN_CLOSED. */
  joinLeadMs?: number;
  secureCookies: boolean;
  metrics: Pick<Metrics, 'queueJoins'>;
}

const estimateProps = {
  state: { type: 'string', enum: ['waiting', 'admitted'] },
  ahead: { type: 'integer', description: 'people ahead of you' },
  position: { type: 'integer', nullable: true, description: 'your place; null until the opening shuffle' },
  etaSeconds: { type: 'integer' },
  etaLowSeconds: { type: 'integer' },
  etaHighSeconds: { type: 'integer' },
  pollAfterMs: { type: 'integer', description: 'ask again after this long; earlier gains nothing' },
  paused: { type: 'boolean' },
  opening: { type: 'string', nullable: true },
  notice: { type: 'object', nullable: true, properties: { ko: { type: 'string' }, en: { type: 'string' } } },
  pass: { type: 'string', description: 'admission pass: send as Yeyak-Pass on booking writes' },
  passExpiresAt: { type: 'string' },
  used: {
    type: 'boolean',
    description:
      'present (true) when this place was spent on a completed booking: state stays "admitted", but no pass is issued for it again; join again without this ticket for a new place',
  },
  passPending: {
    type: 'boolean',
    description:
      'present (true) when this place is admitted but the passes in use are at the cap: no pass yet, ask again after pollAfterMs (the claim window still runs from the admission)',
  },
  supplyState: {
    type: 'string',
    enum: ['sold_out'],
    description: "present while the campaign's confirmed supply is used up: nobody is admitted, an admitted place gets no pass (its claim window still runs); the place is kept and admission resumes when doses come back",
  },
  supplyNotice: { type: 'object', description: 'while sold out: what to show', properties: { ko: { type: 'string' }, en: { type: 'string' } } },
} as const;

const campaignParams = idParams('campaignId');

const challengeSchema = {
  tags: ['waiting room'],
  summary: 'A proof-of-work challenge for joining (when the campaign asks for one)',
  params: campaignParams,
  response: {
    200: { type: 'object', properties: { challenge: { type: 'string' }, difficultyBits: { type: 'integer' }, expiresAt: { type: 'string' } } },
    '4xx': { $ref: 'Error#' },
  },
} as const;

const joinSchema = {
  tags: ['waiting room'],
  summary: 'Join the waiting room → a signed ticket. Joining again with your ticket keeps your place.',
  params: campaignParams,
  headers: {
    type: 'object',
    properties: {
      'yeyak-device': { type: 'string', description: 'your device id (returned as `device` on first join; also a cookie)' },
      'yeyak-ticket': { type: 'string', description: 'a ticket you already hold (also a cookie)' },
    },
  },
  body: {
    type: 'object',
    nullable: true,
    additionalProperties: false,
    properties: {
      pow: {
        type: 'object',
        additionalProperties: false,
        required: ['challenge', 'nonce'],
        properties: { challenge: { type: 'string', maxLength: 600 }, nonce: { type: 'string', maxLength: 64 } },
      },
    },
  },
  response: {
    201: { type: 'object', required: ['ticket', 'ahead', 'etaSeconds', 'pollAfterMs'], properties: { ticket: { type: 'string' }, device: { type: 'string' }, ...estimateProps } },
    '4xx': { $ref: 'Error#' },
  },
} as const;

const statusSchema = {
  tags: ['waiting room'],
  summary: 'Where you are in line (Authorization: Bearer <ticket>); admitted → a pass',
  description:
    'An admitted place must be taken up (this poll fetches its pass) within the claim window of its admission (YEYAK_QUEUE_CLAIM_WINDOW_MS, 5 min): after it, 409 YEYAK_E_TICKET_LAPSED — join again, at the back.',
  security: [{ ticket: [] }],
  response: { 200: { type: 'object', properties: estimateProps }, '4xx': { $ref: 'Error#' } },
} as const;

type JoinRequest = FastifyRequest<{ Params: { campaignId: string }; Body: { pow?: { challenge: string; nonce: string } } | undefined }>;

export async function queueRoutes(app: FastifyInstance, deps: QueueRouteDeps): Promise<void> {
  app.get<{ Params: { campaignId: string } }>('/campaigns/:campaignId/queue/challenge', { schema: challengeSchema }, async (request) => {
    const c = requireCampaign(deps.campaigns, request.params.campaignId);
    const state = await deps.room.state(c.id);
    return issueChallenge(deps.powSigner, c.id, state.powBits, deps.clock.nowMs());
  });

  app.post<{ Params: { campaignId: string }; Body: { pow?: { challenge: string; nonce: string } } | undefined }>(
    '/campaigns/:campaignId/queue',
    { config: { rateLimit: { max: deps.joinPerIpPerMin, timeWindow: 60_000 } }, schema: joinSchema },
    async (request, reply) => {
      const answer = await join(deps, request);
      deps.metrics.queueJoins.inc({ campaign: request.params.campaignId });
      const cookie = { httpOnly: true, secure: deps.secureCookies, sameSite: 'strict' as const, path: '/' };
      deps.auth.setDeviceCookie(reply, answer.device);
      reply.setCookie(TICKET_COOKIE, answer.ticket, { ...cookie, maxAge: 24 * 3600 });
      return reply.status(201).send(answer);
    },
  );

  // The path a million phones poll: 1 in STATUS_LOG_EVERY answers is logged (every refusal is).
  app.get('/queue/status', { schema: statusSchema, config: { logEvery: STATUS_LOG_EVERY } }, async (request) => {
    const ticket = bearerToken(request) ?? request.cookies?.[TICKET_COOKIE];
    if (!ticket) throw new YeyakError('YEYAK_E_TICKET_INVALID');
    // A poll needs the person only (a pass is bound to the ticket's device): no device is read
    // or minted on the path a million phones take every few seconds.
    return deps.room.status(ticket, { device: undefined, personId: deps.auth.sessionOf(request, { bearer: false })?.personId });
  });
}

/** A join, past every refusal: unknown or closed campaign, a person who could not book, proof of work. */
async function join(deps: QueueRouteDeps, request: JoinRequest) {
  const { campaignId } = request.params;
  const session = deps.auth.sessionOf(request, { bearer: true });
  const holder = deps.auth.holderOf(request, session);
  const existing = (request.headers['yeyak-ticket'] as string | undefined) ?? request.cookies?.[TICKET_COOKIE];
  // Unknown campaigns stop here: the store would otherwise keep a line for every id tried.
  const campaign = requireCampaign(deps.campaigns, campaignId);
  refuseClosed(deps, campaign, session);
  const state = await deps.room.state(campaignId).catch(() => null);
  // Only a ticket that really keeps a place skips the work; any other string is no excuse.
  const rejoin = existing !== undefined && (await deps.room.holdsPlace(campaignId, existing, holder).catch(() => false));
  if (state && state.powBits > 0 && !rejoin) await spendProofOfWork(deps, campaignId, state.powBits, request.body?.pow);
  return deps.room.join(campaignId, holder, existing);
}

/** CAMPAIGN_CLOSED outside the join window; verify-first: the person's own refusal (not eligible, not their window). */
function refuseClosed(deps: QueueRouteDeps, campaign: Campaign, session: Citizen | null): void {
  const now = deps.clock.nowMs();
  const leadMs = deps.joinLeadMs ?? QUEUE_JOIN_LEAD_MS_DEFAULT;
  const closed = closedForJoin(campaign, now, leadMs);
  if (closed) {
    const when = closed.joinFrom ? `: the waiting room takes joins from ${closed.joinFrom} (the window opens at ${closed.opensAt})` : ': every window has closed';
    throw new YeyakError('YEYAK_E_CAMPAIGN_CLOSED', `This campaign is not open for booking now${when}.`, { ...closed });
  }
  // Verify first: the line knows who joins, and gives no place to someone who could not book.
  const verified = campaign.queueOrder === 'verify-first' ? session : null;
  const refusal = verified ? personalJoinRefusal(campaign, verified.facts, now, leadMs) : null;
  if (refusal) {
    throw new YeyakError(refusal.code, refusal.message.en, {
      reasons: refusal.reasons,
      messageKo: refusal.message.ko,
      ...(refusal.nextWindow ? { nextWindow: refusal.nextWindow } : {}),
    });
  }
}

/** A solved challenge for this join, recorded so that it buys no other. */
async function spendProofOfWork(deps: QueueRouteDeps, campaignId: string, powBits: number, pow: { challenge: string; nonce: string } | undefined): Promise<void> {
  if (!pow) throw new YeyakError('YEYAK_E_POW_REQUIRED');
  if (!checkSolution(deps.powSigner, campaignId, powBits, pow.challenge, pow.nonce, deps.clock.nowMs())) throw new YeyakError('YEYAK_E_POW_INVALID');
  // One solution buys one join: recorded (atomically, in the line's store) for as long as any
  // challenge lives, so a solved challenge shared with a bot farm is good once.
  if (!(await deps.room.recordSolution(campaignId, pow.challenge, deps.clock.nowMs() + POW_CHALLENGE_TTL_MS))) throw new YeyakError('YEYAK_E_POW_REUSED');
}

export async function queueAdminRoutes(app: FastifyInstance, deps: { room: WaitingRoom; campaigns: CampaignLookup; clock: Clock }): Promise<void> {
  const known = (id: string) => requireCampaign(deps.campaigns, id);
  const view = async (id: string) => {
    const state = await deps.room.store.read(id);
    const issued = (state.frozenPreCount ?? state.preCount) + state.lastSeq;
    return {
      ...state,
      waiting: Math.max(0, issued - state.admittedUpTo),
      activePasses: await deps.room.store.activeCount(id, deps.clock.nowMs()),
      soldOut: deps.room.soldOut(id), // admission stopped by supply, not by the operator (sold-out.ts)
    };
  };

  app.get<{ Params: { campaignId: string } }>(
    '/admin/queue/:campaignId',
    { config: { staff: { roles: ['operator'] } }, schema: { tags: ['admin'], summary: 'Waiting-room counters and settings', security: [{ admin: [] }], params: campaignParams } },
    async (request) => {
      known(request.params.campaignId);
      return view(request.params.campaignId);
    },
  );

  app.patch<{ Params: { campaignId: string }; Body: { ratePerS?: number; activeMax?: number; paused?: boolean; notice?: { ko: string; en: string } | null; powBits?: number } }>(
    '/admin/queue/:campaignId',
    {
      config: { staff: { roles: ['operator'] } },
      schema: {
        tags: ['admin'],
        summary: 'Steer admission: rate, cap on active passes, pause/resume, public notice, proof-of-work difficulty',
        description: 'Written to the campaign first, then to the live line: a restarted node or a restored line keeps the change.',
        security: [{ admin: [] }],
        params: campaignParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            ratePerS: { type: 'integer', minimum: 1, maximum: 100_000 },
            activeMax: { type: 'integer', minimum: 1, maximum: 1_000_000 },
            paused: { type: 'boolean' },
            notice: {
              type: 'object',
              nullable: true,
              additionalProperties: false,
              required: ['ko', 'en'],
              properties: { ko: textField(500), en: textField(500) },
            },
            powBits: { type: 'integer', minimum: 0, maximum: 24 },
          },
        },
      },
    },
    async (request) => {
      known(request.params.campaignId);
      await deps.room.configure(request.params.campaignId, request.body);
      return view(request.params.campaignId);
    },
  );
}
