/**
 * The witness's HTTP surface (fastify, a JSON schema on every route):
 *
 * - `POST /add-checkpoint` — c2sp.org/tlog-witness; text body; 200 with the
 *   cosignature line(s), 409 `text/x.tlog.size`, 400/403/404/422 as the spec lists.
 * - `GET /evidence` — the refused, validly signed checkpoints that contradict
 *   what the witness cosigned (JSON).
 * - `GET /checkpoint/:originHash` — the latest cosigned checkpoint of a log
 *   (hex SHA-256 of its origin), as the log sent it.
 * - `GET /vkey` — the witness's cosignature/v1 verifier key.
 */
import fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { sha256, toHex, utf8Encode } from '@sealpost/protocol/primitives';
import { SizeConflict, WitnessError, errorBody } from './errors.ts';
import { parseAddCheckpoint } from './request.ts';
import type { WitnessStore } from './store.ts';
import { Witness, type WitnessOptions } from './witness.ts';

export type WitnessServer = FastifyInstance & { witness: Witness; witnessStore: WitnessStore };

export interface WitnessServerOptions extends WitnessOptions {
  logLevel?: string;
  logStream?: pino.DestinationStream;
}

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } },
  required: ['error'],
} as const;

export async function buildWitnessServer(options: WitnessServerOptions): Promise<WitnessServer> {
  const witness = new Witness(options);
  const logger = pino({ level: options.logLevel ?? 'silent' }, options.logStream);
  const app = fastify({ loggerInstance: logger, disableRequestLogging: true, bodyLimit: 64 * 1024 }) as unknown as FastifyInstance;
  const byHash = new Map<string, string>();
  for (const vkey of options.logVkeys) {
    const origin = vkey.slice(0, vkey.indexOf('+'));
    byHash.set(toHex(sha256(utf8Encode(origin))), origin);
  }

  // tlog-witness clients may send the body with any (or no) content type: read it as text.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    void reply.code(status).send(errorBody(status === 500 ? 'INTERNAL' : 'BAD_REQUEST', status === 500 ? 'internal error' : err.message));
  });

  app.post(
    '/add-checkpoint',
    {
      schema: {
        body: { type: 'string', maxLength: 64 * 1024 },
        response: { 200: { type: 'string' }, 400: errorSchema, 403: errorSchema, 404: errorSchema, 409: { type: 'string' }, 422: errorSchema },
      },
    },
    async (req, reply) => {
      try {
        const lines = witness.addCheckpoint(parseAddCheckpoint(req.body as string));
        return reply.code(200).type('text/plain; charset=utf-8').send(lines);
      } catch (e) {
        if (e instanceof SizeConflict) return reply.code(409).type('text/x.tlog.size').send(`${e.size}\n`);
        if (e instanceof WitnessError) {
          req.log.info({ status: e.status, code: e.code }, 'add-checkpoint refused');
          return reply.code(e.status as 400).send(errorBody(e.code, e.message));
        }
        throw e;
      }
    },
  );

  app.get(
    '/evidence',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              evidence: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'integer' },
                    origin: { type: 'string' },
                    kind: { type: 'string' },
                    cosignedNote: { type: 'string' },
                    refusedNote: { type: 'string' },
                    proof: { type: 'array', items: { type: 'string' } },
                    oldSize: { type: 'integer' },
                    receivedAt: { type: 'integer' },
                  },
                },
              },
            },
          },
        },
      },
    },
    async () => ({ evidence: options.store.evidence() }),
  );

  app.get(
    '/checkpoint/:originHash',
    {
      schema: {
        params: { type: 'object', properties: { originHash: { type: 'string', pattern: '^[0-9a-f]{64}$' } }, required: ['originHash'] },
        response: { 200: { type: 'string' }, 404: errorSchema },
      },
    },
    async (req, reply) => {
      const origin = byHash.get((req.params as { originHash: string }).originHash);
      const stored = origin === undefined ? undefined : options.store.latest(origin);
      if (stored === undefined) return reply.code(404).send(errorBody('NOT_FOUND', 'no checkpoint for that log'));
      return reply.type('text/plain; charset=utf-8').send(stored.note);
    },
  );

  app.get('/vkey', { schema: { response: { 200: { type: 'object', properties: { vkey: { type: 'string' } }, required: ['vkey'] } } } }, async () => ({ vkey: witness.vkey }));

  return Object.assign(app, { witness, witnessStore: options.store });
}
