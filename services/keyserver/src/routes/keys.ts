/**
 * A device's own keys: upload (signed prekey, last-resort Kyber key, batches
 * of one-time keys), counts, rotation status and the key-consistency check.
 */
import type { FastifyPluginAsync } from 'fastify';
import { authenticateDevice } from '../auth.ts';
import type { KeyServerContext } from '../context.ts';
import { KeyServerError } from '../errors.ts';
import { longTermKeyDigest } from '../key-digest.ts';
import { checkKeyUpload, type KeyUploadJson } from '../key-upload.ts';
import { basicAuth, MAX_KEYS_PER_UPLOAD, withErrors } from '../schemas.ts';
import { decodeBase64, encodeBase64 } from '../wire-keys.ts';

const countSchema = {
  type: 'object',
  required: ['count', 'pqCount'],
  properties: {
    count: { type: 'integer', description: 'EC one-time prekeys left' },
    pqCount: { type: 'integer', description: 'Kyber one-time prekeys left' },
  },
} as const;

/** Key routes of the authenticated device. */
export const keyRoutes: FastifyPluginAsync<{ ctx: KeyServerContext }> = async (app, { ctx }) => {
  app.put<{ Body: KeyUploadJson }>(
    '/v1/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'Upload prekeys for the authenticated device',
        description:
          `Any of: a new signed EC prekey, a new signed last-resort Kyber prekey, up to ${MAX_KEYS_PER_UPLOAD} EC and ` +
          `${MAX_KEYS_PER_UPLOAD} signed Kyber one-time prekeys. Every signature must verify against the account identity key ` +
          '(XEdDSA over the serialized public key). The upload is all-or-nothing; key ids must not repeat within it or clash with stored one-time keys.',
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
    async (request) => {
      const device = authenticateDevice(request, ctx.store);
      const identityKey = ctx.store.identityKey(device.accountId)!;
      const upload = checkKeyUpload(request.body, identityKey);
      const result = ctx.store.storeKeys(device.accountId, device.deviceId, upload, ctx.now(), ctx.settings.maxOneTimeKeysPerDevice);
      if (!result.ok) {
        if (result.reason === 'DUPLICATE_KEY_ID') {
          throw new KeyServerError(409, 'DUPLICATE_KEY_ID', `${result.kind} one-time key ids already stored: ${result.keyIds.slice(0, 10).join(', ')}`);
        }
        throw new KeyServerError(409, 'TOO_MANY_KEYS', `a device may hold at most ${result.limit} ${result.kind} one-time keys`);
      }
      const counts = ctx.store.countOneTimeKeys(device.accountId, device.deviceId);
      return { count: counts.ec, pqCount: counts.kyber };
    },
  );

  app.get(
    '/v1/keys/count',
    {
      schema: { tags: ['keys'], summary: 'One-time prekeys left for the authenticated device', security: basicAuth, response: withErrors({ 200: countSchema }) },
    },
    async (request) => {
      const device = authenticateDevice(request, ctx.store);
      const counts = ctx.store.countOneTimeKeys(device.accountId, device.deviceId);
      return { count: counts.ec, pqCount: counts.kyber };
    },
  );

  app.get(
    '/v1/keys/rotation',
    {
      schema: {
        tags: ['keys'],
        summary: "The device's signed prekeys and last-resort keys with their ages: current and recently replaced",
        description:
          'Bundles always serve the current keys. Replaced keys are kept (and listed here) for the grace period, so a device can see ' +
          'what the server held and when it changed; `rotationDue` says a current key is older than the stale threshold.',
        security: basicAuth,
        response: withErrors({
          200: {
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
          },
        }),
      },
    },
    async (request) => {
      const device = authenticateDevice(request, ctx.store);
      const now = ctx.now();
      const { staleKeyAgeMs, replacedKeyGraceMs } = ctx.settings;
      const keys = ctx.store
        .signedKeyHistory(device.accountId, device.deviceId)
        // Not yet pruned but past the grace period: no longer part of the answer.
        .filter((k) => k.replacedAt === undefined || k.replacedAt + replacedKeyGraceMs > now)
        .map((k) => ({
          kind: k.kind === 'ec' ? ('signedPreKey' as const) : ('pqLastResortPreKey' as const),
          keyId: k.keyId,
          publicKey: encodeBase64(k.publicKey),
          signature: encodeBase64(k.signature),
          current: k.replacedAt === undefined,
          createdAt: k.createdAt,
          ageMs: Math.max(0, now - k.createdAt),
          stale: now - k.createdAt > staleKeyAgeMs,
          ...(k.replacedAt === undefined ? {} : { replacedAt: k.replacedAt, discardAt: k.replacedAt + replacedKeyGraceMs }),
        }));
      const due = (kind: string) => !keys.some((k) => k.kind === kind && k.current && !k.stale);
      return {
        now,
        staleAfterMs: staleKeyAgeMs,
        rotationDue: { signedPreKey: due('signedPreKey'), pqLastResortPreKey: due('pqLastResortPreKey') },
        keys,
      };
    },
  );

  app.post<{ Body: { digest: string } }>(
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
          200: {
            type: 'object',
            required: ['match', 'serverDigest'],
            properties: { match: { type: 'boolean' }, serverDigest: { type: ['string', 'null'] } },
          },
        }),
      },
    },
    async (request) => {
      const device = authenticateDevice(request, ctx.store);
      const digest = decodeBase64('digest', request.body.digest, 32);
      const identityKey = ctx.store.identityKey(device.accountId)!;
      const current = ctx.store.signedKeyHistory(device.accountId, device.deviceId).filter((k) => k.replacedAt === undefined);
      const signed = current.find((k) => k.kind === 'ec');
      const lastResort = current.find((k) => k.kind === 'kyber');
      if (signed === undefined || lastResort === undefined) return { match: false, serverDigest: null };
      const serverDigest = longTermKeyDigest({
        identityKey,
        signedPreKeyId: signed.keyId,
        signedPreKey: signed.publicKey,
        lastResortKeyId: lastResort.keyId,
        lastResortKey: lastResort.publicKey,
      });
      return { match: Buffer.compare(serverDigest, digest) === 0, serverDigest: encodeBase64(serverDigest) };
    },
  );
};
