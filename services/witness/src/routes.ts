/**
 * The witness's routes (a JSON schema on every one):
 *
 * - `POST /add-checkpoint` — c2sp.org/tlog-witness; text body; 200 with the
 *   cosignature line(s), 409 `text/x.tlog.size`, 400/403/404/422 as the spec
 *   lists, 429 `RATE_LIMITED` (per client address, with Retry-After).
 * - `GET /evidence` — the refused, validly signed checkpoints that contradict
 *   what the witness cosigned (JSON).
 * - `GET /checkpoint/:originHash` — the latest cosigned checkpoint of a log
 *   (hex SHA-256 of its origin), as the log sent it.
 * - `GET /vkey` — the witness's cosignature/v1 verifier key.
 * - `GET /health` — liveness (`/ready` and `/metrics` are the kit runtime's).
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance, preParsingAsyncHookHandler } from 'fastify';
import { Counter } from 'prom-client';
import { sha256, toHex, utf8Encode } from '@sealpost/protocol/primitives';
import { withErrors } from '@sealpost/service-kit';
import { SizeConflict, WitnessError } from './errors.ts';
import { clientAddressKey, type AddressLimiter } from './rate-limit.ts';
import { parseAddCheckpoint } from './request.ts';
import type { WitnessStateStore } from './state.ts';
import type { Witness } from './witness.ts';

export interface WitnessRouteContext {
  witness: Witness;
  store: WitnessStateStore;
  logVkeys: readonly string[];
  limiter: AddressLimiter | undefined;
  /** Milliseconds, for the rate limits. */
  clock: () => number;
  bodyLimit: number;
  /** A body still arriving after this long is cut off with 408 (0: no limit). */
  bodyTimeoutMs: number;
}

/**
 * The body-arrival deadline, as a route's preParsing hook. Node's own
 * `requestTimeout` stops counting once the headers are in, so a body that
 * trickles would hold the request open; the body is read through a
 * pass-through that is failed (not the socket: the 408 still goes out) at
 * the deadline. The timer is cleared when the body has been read or the
 * request is over.
 */
export function bodyDeadline(ms: number): preParsingAsyncHookHandler {
  return async (request, reply, payload) => {
    const body = new PassThrough();
    payload.pipe(body);
    payload.once('error', (err) => body.destroy(err));
    const timer = setTimeout(() => {
      payload.unpipe(body);
      body.destroy(new WitnessError(408, 'REQUEST_TIMEOUT', 'the request body took too long to arrive', { headers: { connection: 'close' } }));
    }, ms);
    const clear = (): void => clearTimeout(timer);
    body.once('end', clear);
    body.once('close', clear);
    reply.raw.once('close', clear);
    request.raw.once('close', clear);
    return body;
  };
}

const evidenceSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    origin: { type: 'string' },
    kind: { type: 'string', enum: ['split-view', 'inconsistent'] },
    cosignedNote: { type: 'string' },
    refusedNote: { type: 'string' },
    proof: { type: 'array', items: { type: 'string' } },
    oldSize: { type: 'integer' },
    receivedAt: { type: 'integer' },
  },
  required: ['id', 'origin', 'kind', 'cosignedNote', 'refusedNote', 'proof', 'oldSize', 'receivedAt'],
} as const;

export function witnessRoutes(app: FastifyInstance, ctx: WitnessRouteContext): void {
  const { witness, store, limiter, clock } = ctx;
  const byHash = new Map<string, string>();
  for (const vkey of ctx.logVkeys) {
    const origin = vkey.slice(0, vkey.indexOf('+'));
    byHash.set(toHex(sha256(utf8Encode(origin))), origin);
  }
  const outcomes = new Counter({
    name: 'sealpost_witness_add_checkpoint_total',
    help: 'add-checkpoint requests by outcome (cosigned, conflict, rate_limited, or the refusal code)',
    labelNames: ['outcome'],
    registers: [app.runtime.metrics.registry],
  });

  app.get('/health', { schema: { response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } } } } }, async () => ({
    status: 'ok' as const,
  }));

  app.post(
    '/add-checkpoint',
    {
      bodyLimit: ctx.bodyLimit,
      ...(ctx.bodyTimeoutMs > 0 ? { preParsing: bodyDeadline(ctx.bodyTimeoutMs) } : {}),
      schema: {
        body: { type: 'string', maxLength: ctx.bodyLimit },
        response: withErrors({ 200: { type: 'string' }, 409: { type: 'string' } }),
      },
      // Before the body is parsed: a refused client costs a bucket lookup, nothing more.
      onRequest: async (req) => {
        if (limiter === undefined) return;
        const d = await limiter.take(clientAddressKey(req.ip), clock());
        if (!d.allowed) {
          outcomes.inc({ outcome: 'rate_limited' });
          const seconds = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
          throw new WitnessError(429, 'RATE_LIMITED', `too many add-checkpoint requests from this address; retry in ${seconds} s`, { headers: { 'retry-after': String(seconds) } });
        }
      },
    },
    async (req, reply) => {
      try {
        const lines = await witness.addCheckpoint(parseAddCheckpoint(req.body as string));
        outcomes.inc({ outcome: 'cosigned' });
        return reply.code(200).type('text/plain; charset=utf-8').send(lines);
      } catch (e) {
        if (e instanceof SizeConflict) {
          outcomes.inc({ outcome: 'conflict' });
          return reply.code(409).type('text/x.tlog.size').send(`${e.size}\n`);
        }
        if (e instanceof WitnessError) {
          outcomes.inc({ outcome: e.code });
          req.log.info({ status: e.status, code: e.code }, 'add-checkpoint refused');
        }
        throw e;
      }
    },
  );

  app.get(
    '/evidence',
    { schema: { response: withErrors({ 200: { type: 'object', required: ['evidence'], properties: { evidence: { type: 'array', items: evidenceSchema } } } }) } },
    async () => ({ evidence: await store.allEvidence() }),
  );

  app.get(
    '/checkpoint/:originHash',
    {
      schema: {
        params: { type: 'object', properties: { originHash: { type: 'string', pattern: '^[0-9a-f]{64}$' } }, required: ['originHash'] },
        response: withErrors({ 200: { type: 'string' } }),
      },
    },
    async (req, reply) => {
      const origin = byHash.get((req.params as { originHash: string }).originHash);
      const stored = origin === undefined ? undefined : await store.checkpointOf(origin);
      if (stored === undefined) throw new WitnessError(404, 'NOT_FOUND', 'no checkpoint for that log');
      return reply.type('text/plain; charset=utf-8').send(stored.note);
    },
  );

  app.get('/vkey', { schema: { response: withErrors({ 200: { type: 'object', properties: { vkey: { type: 'string' } }, required: ['vkey'] } }) } }, async () => ({
    vkey: witness.vkey,
  }));
}
