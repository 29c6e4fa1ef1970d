/**
 * A device's own keys: upload (signed prekey, last-resort Kyber key, batches
 * of one-time keys), counts, rotation status and the key-consistency check.
 * Every route here is authenticated.
 */
import type { FastifyPluginAsync } from 'fastify';
import { authenticated, decodeBase64Field, encodeBase64, withErrors } from '@sealpost/service-kit';
import { limitPerDevice } from '../context.ts';
import type { OneTimeKeyCounts } from '../domain/keys.ts';
import type { KeyUploadJson } from '../key-upload.ts';
import { basicAuth, MAX_KEYS_PER_UPLOAD } from '../schemas.ts';

const countSchema = {
  type: 'object',
  required: ['count', 'pqCount'],
  properties: {
    count: { type: 'integer', description: 'EC one-time prekeys left' },
    pqCount: { type: 'integer', description: 'Kyber one-time prekeys left' },
  },
} as const;

const countJson = (c: OneTimeKeyCounts) => ({ count: c.ec, pqCount: c.kyber });

const rotationSchema = {
  type: 'object',
  required: ['now', 'staleAfterMs', 'rotationDue', 'keys'],
  properties: {
    now: { type: 'integer' },
    staleAfterMs: { type: 'integer' },
    rotationDue: {
      type: 'object',
      required: ['signedPreKey', 'pqLastResortPreKey'],
      properties: { signedPreKey: { type: 'boolean' }, pqLastResortPreKey: { type: 'boolean' } },
    },
    keys: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'keyId', 'publicKey', 'signature', 'current', 'createdAt', 'ageMs', 'stale'],
        properties: {
          kind: { type: 'string', enum: ['signedPreKey', 'pqLastResortPreKey'] },
          keyId: { type: 'integer' },
          publicKey: { type: 'string', description: 'base64, as uploaded' },
          signature: { type: 'string' },
          current: { type: 'boolean' },
          createdAt: { type: 'integer' },
          ageMs: { type: 'integer' },
          stale: { type: 'boolean' },
          replacedAt: { type: 'integer' },
          discardAt: { type: 'integer', description: 'when the server forgets a replaced key' },
        },
      },
    },
  },
} as const;

/** Key routes of the authenticated device. */
export const keyRoutes: FastifyPluginAsync = async (app) => {
  const { keys, authenticate } = app.keyserver;
  await app.register(
    authenticated(authenticate, (scope) => {
      scope.put<{ Body: KeyUploadJson }>(
        '/v1/keys',
        {
          // After the scope's authentication, before the body is read or any signature checked.
          onRequest: limitPerDevice((ctx) => ctx.keyUploadLimiter, 'key uploads from this device'),
          schema: {
            tags: ['keys'],
            summary: 'Upload prekeys for the authenticated device',
            description:
              `Any of: a new signed EC prekey, a new signed last-resort Kyber prekey, up to ${MAX_KEYS_PER_UPLOAD} EC and ` +
              `${MAX_KEYS_PER_UPLOAD} signed Kyber one-time prekeys. Every signature must verify against the account identity key ` +
              '(XEdDSA over the serialized public key). The upload is all-or-nothing; key ids must not repeat within it or clash with stored one-time keys ' +
              '(checked before any signature). Rate limited per device (429 with Retry-After).',
            security: basicAuth,
            body: {
              type: 'object',
              additionalProperties: false,
              properties: {
                signedPreKey: { $ref: 'EcSignedPreKey#' },
                pqLastResortPreKey: { $ref: 'KyberSignedPreKey#' },
                preKeys: { type: 'array', maxItems: MAX_KEYS_PER_UPLOAD, items: { $ref: 'EcPreKey#' } },
                pqPreKeys: { type: 'array', maxItems: MAX_KEYS_PER_UPLOAD, items: { $ref: 'KyberSignedPreKey#' } },
              },
            },
            response: withErrors({ 200: countSchema }),
          },
        },
        async (request) => countJson(await keys.upload(request.device, request.body)),
      );

      scope.get(
        '/v1/keys/count',
        { schema: { tags: ['keys'], summary: 'One-time prekeys left for the authenticated device', security: basicAuth, response: withErrors({ 200: countSchema }) } },
        async (request) => countJson(await keys.counts(request.device)),
      );

      scope.get(
        '/v1/keys/rotation',
        {
          schema: {
            tags: ['keys'],
            summary: "The device's signed prekeys and last-resort keys with their ages: current and recently replaced",
            description:
              'Bundles always serve the current keys. Replaced keys are kept (and listed here) for the grace period, so a device can see ' +
              'what the server held and when it changed; `rotationDue` says a current key is older than the stale threshold.',
            security: basicAuth,
            response: withErrors({ 200: rotationSchema }),
          },
        },
        async (request) => {
          const report = await keys.rotation(request.device);
          return {
            ...report,
            keys: report.keys.map(({ kind, record, current, ageMs, stale, discardAt }) => ({
              kind,
              keyId: record.keyId,
              publicKey: encodeBase64(record.publicKey),
              signature: encodeBase64(record.signature),
              current,
              createdAt: record.createdAt,
              ageMs,
              stale,
              ...(record.replacedAt === undefined ? {} : { replacedAt: record.replacedAt, discardAt }),
            })),
          };
        },
      );

      scope.post<{ Body: { digest: string } }>(
        '/v1/keys/check',
        {
          schema: {
            tags: ['keys'],
            summary: "Compare a digest of the device's long-lived keys with the server's view",
            description:
              'digest = SHA-256(identityKey(33) ‖ u64be(signedPreKeyId) ‖ signedPreKey(33) ‖ u64be(lastResortKeyId) ‖ lastResortKey(1569)); ' +
              'see services/keyserver/README.md. `serverDigest` is null when the server lacks a signed prekey or last-resort key.',
            security: basicAuth,
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['digest'],
              properties: { digest: { type: 'string', minLength: 44, maxLength: 44, description: 'base64 of the 32-byte digest' } },
            },
            response: withErrors({
              200: { type: 'object', required: ['match', 'serverDigest'], properties: { match: { type: 'boolean' }, serverDigest: { type: ['string', 'null'] } } },
            }),
          },
        },
        async (request) => {
          const { match, serverDigest } = await keys.check(request.device, decodeBase64Field('digest', request.body.digest, 32));
          return { match, serverDigest: serverDigest === null ? null : encodeBase64(serverDigest) };
        },
      );
    }),
  );
};
