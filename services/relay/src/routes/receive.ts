/**
 * Receiving by polling: an authenticated device fetches its queue and
 * acknowledges what it has safely processed; acknowledged envelopes are
 * deleted and never delivered again. Registered inside `authenticatedRoutes`.
 */
import type { FastifyInstance } from 'fastify';
import { encodeBase64, withErrors } from '@sealpost/service-kit';
import { relayError } from '../errors.ts';
import { StorageFullError } from '../store/index.ts';

/** A deletion that could not commit even after the reserve was released: 507 with Retry-After, not a 500. */
async function deleting<T>(retryAfterSeconds: number, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (e) {
    if (e instanceof StorageFullError) {
      throw relayError(507, 'INSUFFICIENT_STORAGE', 'the relay is out of disk space; try again later', { headers: { 'retry-after': String(retryAfterSeconds) } });
    }
    throw e;
  }
}

/** Wire form of a queued envelope (also used by the WebSocket). */
export const envelopeSchema = {
  type: 'object',
  required: ['id', 'content', 'receivedAt'],
  properties: {
    id: { type: 'string' },
    content: { type: 'string', description: 'sealed envelope, base64' },
    receivedAt: { type: 'integer', description: 'arrival time, ms since epoch' },
  },
} as const;

const envelopeIdSchema = { type: 'string', pattern: '^[A-Za-z0-9_-]{22}$' } as const;
const authHeader = { type: 'object', properties: { authorization: { type: 'string' } } } as const;

/** Registers GET /v1/messages, DELETE /v1/messages/:id, POST /v1/messages/acknowledge. */
export async function receiveRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.relay;

  app.get<{ Querystring: { limit?: number } }>(
    '/v1/messages',
    {
      schema: {
        summary: 'Fetch queued envelopes for the authenticated device (oldest first; at most `limit` and maxPollBytes bytes)',
        tags: ['receive'],
        headers: authHeader,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: ctx.limits.maxBatch } },
        },
        response: withErrors({
          200: {
            type: 'object',
            required: ['messages', 'more'],
            properties: { messages: { type: 'array', items: envelopeSchema }, more: { type: 'boolean' } },
          },
        }),
      },
    },
    async (request) => {
      const { device } = request;
      const limit = request.query.limit ?? ctx.limits.maxBatch;
      // At most `limit` envelopes and `maxPollBytes` bytes (but always one, whatever its size).
      const rows = await ctx.store.pending(device.accountId, device.deviceId, ctx.now(), limit, 0, ctx.limits.maxPollBytes);
      const last = rows.at(-1);
      const more = last !== undefined && (await ctx.store.pending(device.accountId, device.deviceId, ctx.now(), 1, last.seq, 0)).length > 0;
      return {
        messages: rows.map((r) => ({ id: r.id, content: encodeBase64(r.content), receivedAt: r.receivedAt })),
        more,
      };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/messages/:id',
    {
      schema: {
        summary: 'Acknowledge (delete) one envelope',
        tags: ['receive'],
        headers: authHeader,
        params: { type: 'object', required: ['id'], properties: { id: envelopeIdSchema } },
        response: withErrors({ 204: { type: 'null' } }),
      },
    },
    async (request, reply) => {
      const { device } = request;
      if (!(await deleting(ctx.limits.retryAfterSeconds, ctx.store.acknowledge(device.accountId, device.deviceId, request.params.id)))) {
        throw relayError(404, 'UNKNOWN_ENVELOPE', 'no such envelope in this device queue');
      }
      return reply.status(204).send();
    },
  );

  app.post<{ Body: { ids: string[] } }>(
    '/v1/messages/acknowledge',
    {
      schema: {
        summary: 'Acknowledge (delete) several envelopes',
        tags: ['receive'],
        headers: authHeader,
        body: {
          type: 'object',
          required: ['ids'],
          additionalProperties: false,
          properties: { ids: { type: 'array', minItems: 1, maxItems: 1000, items: envelopeIdSchema } },
        },
        response: withErrors({
          200: { type: 'object', required: ['acknowledged'], properties: { acknowledged: { type: 'integer' } } },
        }),
      },
    },
    async (request) => {
      const { device } = request;
      return { acknowledged: await deleting(ctx.limits.retryAfterSeconds, ctx.store.acknowledgeMany(device.accountId, device.deviceId, request.body.ids)) };
    },
  );
}
