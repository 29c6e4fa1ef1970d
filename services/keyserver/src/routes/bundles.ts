/**
 * Prekey bundles: what a sender needs to start a PQXDH session with one
 * device or all devices of an account. Each fetch consumes at most one EC
 * and one Kyber one-time prekey per device (atomically, in the store); with
 * no Kyber one-time key left the signed last-resort key is served instead.
 * Fetches are rate limited per (requester device, target account) pair,
 * whatever the device selector, and one-time keys are handed out within a
 * per-target-device budget across all requesters (domain/keys.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import { authenticated, encodeBase64, withErrors } from '@sealpost/service-kit';
import { accountIdSchema, basicAuth, deviceIdSchema, registrationIdSchema } from '../schemas.ts';
import type { DeviceBundle } from '../store/key-store.ts';

const signedOut = {
  type: 'object',
  required: ['keyId', 'publicKey', 'signature'],
  properties: { keyId: { type: 'integer' }, publicKey: { type: 'string' }, signature: { type: 'string' } },
} as const;

const bundleResponse = {
  type: 'object',
  required: ['identityKey', 'devices'],
  properties: {
    identityKey: { type: 'string', description: 'base64 of 0x05 ‖ 32 bytes' },
    devices: {
      type: 'array',
      items: {
        type: 'object',
        required: ['deviceId', 'registrationId', 'signedPreKey', 'pqPreKey', 'pqPreKeyIsLastResort'],
        properties: {
          deviceId: deviceIdSchema,
          registrationId: registrationIdSchema,
          signedPreKey: signedOut,
          preKey: {
            type: 'object',
            required: ['keyId', 'publicKey'],
            properties: { keyId: { type: 'integer' }, publicKey: { type: 'string' } },
            description: 'absent when the device has no EC one-time prekeys left',
          },
          pqPreKey: signedOut,
          pqPreKeyIsLastResort: { type: 'boolean' },
        },
      },
    },
  },
} as const;

/**
 * Base64 of long-lived keys, remembered per byte array: the store hands out
 * the same cached arrays for a device's signed prekey, last-resort key and
 * identity key until they change, so each is encoded once rather than on
 * every fetch (a Kyber key is 2 KB of base64). Entries die with the arrays.
 */
const encoded = new WeakMap<Uint8Array, string>();
function encodeLongLived(bytes: Uint8Array): string {
  let s = encoded.get(bytes);
  if (s === undefined) {
    s = encodeBase64(bytes);
    encoded.set(bytes, s);
  }
  return s;
}

/**
 * One device's bundle as JSON text. Written by hand because every value is an
 * integer, a boolean or a base64 string (nothing to escape), which spares the
 * generic serializer scanning ~2.3 KB of base64 per device for escapes. The
 * shape is the `bundleResponse` schema above (bundles.test.ts checks it exactly).
 */
function bundleJson(b: DeviceBundle): string {
  const pq = b.pqPreKeyIsLastResort ? encodeLongLived : encodeBase64;
  const preKey = b.preKey === undefined ? '' : `"preKey":{"keyId":${b.preKey.keyId},"publicKey":"${encodeBase64(b.preKey.publicKey)}"},`;
  return (
    `{"deviceId":${b.deviceId},"registrationId":${b.registrationId},` +
    `"signedPreKey":{"keyId":${b.signedPreKey.keyId},"publicKey":"${encodeLongLived(b.signedPreKey.publicKey)}","signature":"${encodeLongLived(b.signedPreKey.signature)}"},` +
    preKey +
    `"pqPreKey":{"keyId":${b.pqPreKey.keyId},"publicKey":"${pq(b.pqPreKey.publicKey)}","signature":"${pq(b.pqPreKey.signature)}"},` +
    `"pqPreKeyIsLastResort":${b.pqPreKeyIsLastResort}}`
  );
}

/** GET /v1/keys/:accountId/:deviceId. */
export const bundleRoutes: FastifyPluginAsync = async (app) => {
  const { keys, authenticate } = app.keyserver;
  await app.register(
    authenticated(authenticate, (scope) => {
      scope.get<{ Params: { accountId: string; deviceId: string } }>(
        '/v1/keys/:accountId/:deviceId',
        {
          schema: {
            tags: ['bundles'],
            summary: "Fetch a prekey bundle for one device, or for all devices with '*'",
            description:
              'Consumes at most one EC and one Kyber one-time prekey per device. Rate limited per requester device and target account, ' +
              "the same bucket for '/1' and '/*' (429 with Retry-After). A target device whose one-time-key budget is spent is served " +
              'with its signed prekey and last-resort key only. 404 when the account or device is unknown or no device has a signed ' +
              'prekey and last-resort key.',
            security: basicAuth,
            params: {
              type: 'object',
              required: ['accountId', 'deviceId'],
              properties: { accountId: accountIdSchema, deviceId: { type: 'string', pattern: '^([1-9][0-9]{0,2}|\\*)$' } },
            },
            response: withErrors({ 200: bundleResponse }),
          },
        },
        async (request, reply) => {
          const { accountId, deviceId } = request.params;
          const { identityKey, devices } = await keys.bundles(request.device, accountId, deviceId === '*' ? undefined : Number(deviceId));
          return reply
            .type('application/json; charset=utf-8')
            .send(`{"identityKey":"${encodeLongLived(identityKey)}","devices":[${devices.map(bundleJson).join(',')}]}`);
        },
      );
    }),
  );
};
