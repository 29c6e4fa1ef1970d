/**
 * Key transparency (packages/keytrans/src/wire.ts is the contract):
 * `GET /v1/kt/config`, `POST /v1/kt/search` (no authentication, nothing
 * identifying in the path, rate limited per client address; the label is
 * never logged), `GET /kt/checkpoint`, the C2SP tlog-tiles
 * `GET /kt/tile/…`, and the handle directory `GET /v1/handles/:handle`,
 * `PUT /v1/accounts/me/handle`. Every route answers 503 `KT_DISABLED`
 * when the server has no KT keys.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { KeyTransparencyError, MAX_TREE_SIZE, encodeHandleValue, handleLabel, normalizeHandle, type KtSearchRequestJson } from '@sealpost/keytrans';
import { authenticated, decodeBase64Field, withErrors } from '@sealpost/service-kit';
import { clientAddressKey } from '../client-address.ts';
import { KeyServerError, badRequest, conflict, forbidden, notFound } from '../errors.ts';
import type { KtLog } from '../kt/kt-log.ts';
import { LabelNotLogged, searchLabel } from '../kt/kt-search.ts';
import { entryBundle, hashTile, parseTilePath } from '../kt/tiles.ts';
import { enforceRateLimit } from '../rate-limiter.ts';
import { accountIdSchema, basicAuth } from '../schemas.ts';
import { PRIMARY_DEVICE_ID } from '../store/key-store.ts';

const sizeSchema = { type: 'integer', minimum: 0, maximum: MAX_TREE_SIZE } as const;
const base64Hash = { type: 'string' } as const;
const handleSchema = { type: 'string', minLength: 1, maxLength: 64 } as const;

function ktOf(request: FastifyRequest): KtLog {
  const kt = request.server.keyserver.keyTransparency;
  if (kt === undefined) throw new KeyServerError(503, 'KT_DISABLED', 'key transparency is not configured on this server');
  return kt;
}

/** `onRequest`: unauthenticated KT reads per client address (IPv6 by /64). */
async function limitSearches(request: FastifyRequest): Promise<void> {
  const ctx = request.server.keyserver;
  await enforceRateLimit(ctx.ktSearchLimiter, `kt:${clientAddressKey(request.ip)}`, ctx.now(), 'key-transparency requests from this address');
}

function normalized(handle: string): string {
  try {
    return normalizeHandle(handle);
  } catch (e) {
    if (e instanceof KeyTransparencyError) throw badRequest('BAD_REQUEST', e.message);
    throw e;
  }
}

export const ktRoutes: FastifyPluginAsync = async (app) => {
  const { authenticate } = app.keyserver;

  app.get(
    '/v1/kt/config',
    {
      schema: {
        tags: ['key transparency'],
        summary: "The log's configuration (display only: clients pin their copy)",
        response: withErrors({
          200: {
            type: 'object',
            required: ['origin', 'logVerifierKey', 'vrfPublicKey', 'maxAheadMs', 'maxBehindMs'],
            properties: {
              origin: { type: 'string' },
              logVerifierKey: { type: 'string' },
              vrfPublicKey: { type: 'string' },
              maxAheadMs: { type: 'integer' },
              maxBehindMs: { type: 'integer' },
            },
          },
        }),
      },
    },
    async (request) => ktOf(request).config(),
  );

  app.post<{ Body: KtSearchRequestJson }>(
    '/v1/kt/search',
    {
      onRequest: limitSearches,
      schema: {
        tags: ['key transparency'],
        summary: "A label's greatest version with its proof against the newest witnessed checkpoint",
        description: 'No authentication; rate limited per client address. 404 KT_LABEL_NOT_LOGGED when the label has no version in that checkpoint.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['label'],
          properties: {
            label: { type: 'string', minLength: 4, maxLength: 344 },
            last: sizeSchema,
            pending: { type: 'array', maxItems: 16, items: sizeSchema },
          },
        },
        response: withErrors({
          200: {
            type: 'object',
            required: ['checkpoint', 'proof', 'consistency'],
            properties: {
              checkpoint: { type: 'string' },
              proof: { type: 'string' },
              consistency: {
                type: 'array',
                items: { type: 'object', required: ['from', 'proof'], properties: { from: { type: 'integer' }, proof: { type: 'array', items: base64Hash } } },
              },
            },
          },
        }),
      },
    },
    async (request) => {
      const kt = ktOf(request);
      const label = decodeBase64Field('label', request.body.label);
      if (label.length < 1 || label.length > 255) throw badRequest('BAD_REQUEST', 'a label is 1 to 255 bytes');
      try {
        return await searchLabel(kt, label, request.body.last, request.body.pending);
      } catch (e) {
        if (e instanceof LabelNotLogged) throw notFound('KT_LABEL_NOT_LOGGED', e.message);
        throw e;
      }
    },
  );

  app.get(
    '/kt/checkpoint',
    {
      onRequest: limitSearches,
      schema: { tags: ['key transparency'], summary: 'The newest checkpoint: log signature and the cosignatures held (text/plain)', response: withErrors({ 200: { type: 'string' } }) },
    },
    async (request, reply) => {
      const kt = ktOf(request);
      const note = kt.checkpointNote(kt.size);
      if (note === undefined) throw notFound('NOT_FOUND', 'the log is empty');
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(note);
    },
  );

  app.get<{ Params: { '*': string } }>(
    '/kt/tile/*',
    {
      onRequest: limitSearches,
      schema: {
        tags: ['key transparency'],
        summary: 'C2SP tlog-tiles: hash tiles tile/<L>/<N>[.p/<W>] and entry bundles tile/entries/<N>[.p/<W>] (application/octet-stream)',
        params: { type: 'object', required: ['*'], properties: { '*': { type: 'string', maxLength: 64 } } },
        response: withErrors({}),
      },
    },
    async (request, reply) => {
      const kt = ktOf(request);
      const path = parseTilePath(request.params['*']);
      if (path === undefined) throw notFound('NOT_FOUND', 'not a tile path');
      const bytes =
        path.level === 'entries' ? entryBundle(kt.index.entries, path.index, path.width) : hashTile(kt.index.leaves, path.level, path.index, path.width);
      if (bytes === undefined) throw notFound('NOT_FOUND', 'the log has no such tile');
      // Tile contents never change: a full tile forever, a partial one of a given width too.
      return reply.type('application/octet-stream').header('cache-control', 'public, max-age=31536000, immutable').send(Buffer.from(bytes));
    },
  );

  app.get<{ Params: { handle: string } }>(
    '/v1/handles/:handle',
    {
      onRequest: limitSearches,
      schema: {
        tags: ['key transparency'],
        summary: "The account a handle belongs to (the directory's answer: check it with a search of handleLabel)",
        params: { type: 'object', required: ['handle'], properties: { handle: handleSchema } },
        response: withErrors({ 200: { type: 'object', required: ['handle', 'accountId'], properties: { handle: { type: 'string' }, accountId: accountIdSchema } } }),
      },
    },
    async (request) => {
      const kt = ktOf(request);
      const handle = normalized(request.params.handle);
      const accountId = await kt.store.handleAccount(handle);
      if (accountId === undefined) throw notFound('UNKNOWN_HANDLE', 'no account has this handle');
      return { handle, accountId };
    },
  );

  await app.register(
    authenticated(authenticate, (scope) => {
      scope.put<{ Body: { handle: string } }>(
        '/v1/accounts/me/handle',
        {
          schema: {
            tags: ['key transparency'],
            summary: "Claim the account's handle (primary device; one per account, permanent in phase 1)",
            description:
              'Logs handleLabel(handle) → the account id, and answers once that is sequenced and witnessed (bounded wait). ' +
              'The same handle again: 204. Another handle: 409 HANDLE_ALREADY_SET. Taken by another account: 409 HANDLE_TAKEN.',
            security: basicAuth,
            body: { type: 'object', additionalProperties: false, required: ['handle'], properties: { handle: handleSchema } },
            response: withErrors({ 204: { type: 'null' } }),
          },
        },
        async (request, reply) => {
          const kt = ktOf(request);
          if (request.device.deviceId !== PRIMARY_DEVICE_ID) throw forbidden('only the primary device can claim the handle');
          const handle = normalized(request.body.handle);
          const { accountId } = request.device;
          const label = handleLabel(handle);
          const outcome = await kt.store.claimHandle(handle, accountId, { label, value: encodeHandleValue(accountId) }, request.server.keyserver.now());
          if (outcome === 'taken') throw conflict('HANDLE_TAKEN', 'another account has this handle');
          if (outcome === 'alreadySet') throw conflict('HANDLE_ALREADY_SET', 'this account already has another handle');
          if (outcome === 'claimed') await kt.settled(label);
          return reply.code(204).send();
        },
      );
    }),
  );
};
