/**
 * GET /api/v1/campaigns/{campaignId}/fairness: the public fairness record (fairness-record.ts).
 * No authentication and no personal data; the same on every node, so a CDN or browser may keep
 * it for a few seconds.
 */
import type { FastifyInstance } from 'fastify';
import { idParams } from '../core/schemas.ts';
import { requireCampaign, type CampaignLookup } from '../rules/campaign.ts';
import type { FairnessRecords } from './fairness-record.ts';

export interface FairnessRouteDeps {
  records: FairnessRecords;
  campaigns: CampaignLookup;
}

export const FAIRNESS_CACHE_CONTROL = 'public, max-age=5';

const num = { type: 'number', nullable: true } as const;
const iso = { type: 'string', nullable: true, format: 'date-time' } as const;
const int = { type: 'integer' } as const;

const fairnessSchema = {
  tags: ['waiting room'],
  summary: "The fairness record: the shuffle's committed seed (revealed after the opening), admission order against join order, the ETA shown against the wait had",
  description:
    'commitment = SHA-256(UTF-8 of seed.input), seed.input = "yeyak-shuffle-v1:<campaignId>:<seed>:<nonce>" (seed in decimal, nonce 32 lowercase hex). Before the pre-queue is frozen at the opening only the commitment is shown. A pre-queue number n stands at shuffledPosition(n, P, seed) (algorithm yeyak-feistel-v1, src/waiting-room/permutation.ts), a later join s at P + s. Page: /fairness/?campaign=<id>.',
  params: idParams('campaignId'),
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['campaignId', 'at', 'opening', 'preQueueOpensAt', 'seed', 'shuffle', 'admissionOrder', 'eta'],
      properties: {
        campaignId: { type: 'string' },
        at: { type: 'string', format: 'date-time' },
        opening: iso,
        preQueueOpensAt: iso,
        seed: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { type: 'string', enum: ['off', 'none', 'committed', 'revealed'] },
            commitment: { type: 'string', nullable: true, description: 'SHA-256 (hex) of input; published from the draw, before the pre-queue opens' },
            committedAt: iso,
            input: { type: 'string', description: 'the hashed text; <seed> and <nonce> filled in once revealed' },
            value: { type: 'integer', nullable: true, description: 'the seed, once the pre-queue is frozen' },
            nonce: { type: 'string', nullable: true },
            shuffledAt: iso,
          },
        },
        shuffle: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: { type: 'boolean' },
            algorithm: { type: 'string' },
            preQueueSize: { type: 'integer', nullable: true, description: 'P, the pre-queue frozen at the opening' },
            sample: { type: 'array', items: { type: 'object', additionalProperties: false, properties: { number: int, position: int } } },
          },
        },
        admissionOrder: {
          type: 'object',
          additionalProperties: false,
          properties: {
            recorded: int,
            inversionsBeyondShuffle: { type: 'integer', description: 'places admitted ahead of someone who, by join order after the shuffle, was ahead of them: 0 expected' },
            positionMismatches: int,
            examples: {
              type: 'array',
              items: { type: 'object', additionalProperties: false, properties: { position: int, expectedPosition: { type: 'integer', nullable: true } } },
            },
          },
        },
        eta: {
          type: 'object',
          additionalProperties: false,
          properties: {
            samples: int,
            errorP10Seconds: num,
            errorP50Seconds: num,
            errorP90Seconds: num,
            errorP99Seconds: num,
            errorP50: num,
            errorP90: num,
            withinTwentyPercent: num,
            waitP50Seconds: num,
            waitP99Seconds: num,
          },
        },
      },
    },
    '4xx': { $ref: 'Error#' },
  },
} as const;

export async function fairnessRoutes(app: FastifyInstance, deps: FairnessRouteDeps): Promise<void> {
  app.get<{ Params: { campaignId: string } }>('/campaigns/:campaignId/fairness', { schema: fairnessSchema }, async (request, reply) => {
    const c = requireCampaign(deps.campaigns, request.params.campaignId);
    const record = await deps.records.of(c);
    reply.header('cache-control', FAIRNESS_CACHE_CONTROL);
    return record;
  });
}
