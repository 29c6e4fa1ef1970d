/**
 * Devices: provisioning codes (made by the primary device), linking a new
 * device with one, listing and removing devices. A device's keys go with it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { authenticateDevice } from '../auth.ts';
import { clientAddress, enforceRateLimit, type KeyServerContext } from '../context.ts';
import { DEVICE_SECRET_LENGTH, hashDeviceSecret } from '../device-secret.ts';
import { forbidden, KeyServerError, notFound } from '../errors.ts';
import { checkKeyUpload, type SignedPreKeyJson } from '../key-upload.ts';
import { PRIMARY_DEVICE_ID } from '../store/sqlite-key-store.ts';
import { decodeBase64 } from '../wire-keys.ts';
import { accountIdSchema, basicAuth, deviceIdSchema, deviceSecretField, registrationIdSchema, withErrors } from '../schemas.ts';

/** Random bytes in a provisioning code: 128 bits, so codes cannot be guessed within their lifetime. */
export const PROVISIONING_CODE_BYTES = 16;
const CODE_RE = /^[A-Za-z0-9_-]{22}$/;

function hashCode(code: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update('sealpost-provisioning-code-v1').update(Buffer.from(code, 'base64url')).digest());
}

interface LinkBody {
  provisioningCode: string;
  registrationId: number;
  deviceSecret: string;
  signedPreKey?: SignedPreKeyJson;
  pqLastResortPreKey?: SignedPreKeyJson;
}

/** Device routes. */
export const deviceRoutes: FastifyPluginAsync<{ ctx: KeyServerContext }> = async (app, { ctx }) => {
  app.post(
    '/v1/devices/provisioning-codes',
    {
      schema: {
        tags: ['devices'],
        summary: 'Make a one-time provisioning code for linking a new device (primary device only)',
        security: basicAuth,
        response: withErrors({
          201: {
            type: 'object',
            required: ['code', 'expiresAt'],
            properties: {
              code: { type: 'string', description: '16 random bytes, base64url; single use' },
              expiresAt: { type: 'integer', description: 'ms since the epoch' },
            },
          },
        }),
      },
    },
    async (request, reply) => {
      const device = authenticateDevice(request, ctx.store);
      if (device.deviceId !== PRIMARY_DEVICE_ID) throw forbidden('only the primary device can link devices');
      const code = randomBytes(PROVISIONING_CODE_BYTES).toString('base64url');
      const expiresAt = ctx.now() + ctx.settings.provisioningCodeTtlMs;
      ctx.store.addProvisioningCode(device.accountId, hashCode(code), expiresAt);
      return reply.code(201).send({ code, expiresAt });
    },
  );

  app.post<{ Body: LinkBody }>(
    '/v1/devices/link',
    {
      schema: {
        tags: ['devices'],
        summary: 'Link a new device with a provisioning code',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['provisioningCode', 'registrationId', 'deviceSecret'],
          properties: {
            provisioningCode: { type: 'string', maxLength: 64 },
            registrationId: registrationIdSchema,
            deviceSecret: deviceSecretField,
            signedPreKey: { $ref: 'EcSignedPreKey#' },
            pqLastResortPreKey: { $ref: 'KyberSignedPreKey#' },
          },
        },
        response: withErrors({
          201: {
            type: 'object',
            required: ['accountId', 'deviceId'],
            properties: { accountId: accountIdSchema, deviceId: deviceIdSchema },
          },
        }),
      },
    },
    async (request, reply) => {
      const now = ctx.now();
      enforceRateLimit(ctx.registrationLimiter, `register:${clientAddress(request)}`, now, 'registrations from this address');
      const body = request.body;
      const invalidCode = new KeyServerError(403, 'INVALID_PROVISIONING_CODE', 'provisioning code is unknown, used or expired');
      if (!CODE_RE.test(body.provisioningCode)) throw invalidCode;
      const codeHash = hashCode(body.provisioningCode);
      const secret = decodeBase64('deviceSecret', body.deviceSecret, DEVICE_SECRET_LENGTH);
      const accountId = ctx.store.provisioningCodeAccount(codeHash, now);
      if (accountId === undefined) throw invalidCode;
      const identityKey = ctx.store.identityKey(accountId)!;
      const hasKeys = body.signedPreKey !== undefined || body.pqLastResortPreKey !== undefined;
      const upload = hasKeys
        ? checkKeyUpload({ signedPreKey: body.signedPreKey, pqLastResortPreKey: body.pqLastResortPreKey }, identityKey)
        : undefined;
      const linked = ctx.store.linkDevice({
        codeHash,
        registrationId: body.registrationId,
        secretHash: hashDeviceSecret(secret),
        now,
        maxDevices: ctx.settings.maxDevices,
      });
      if (!linked.ok) {
        if (linked.reason === 'DEVICE_LIMIT') {
          throw new KeyServerError(409, 'DEVICE_LIMIT', `account already has the maximum of ${ctx.settings.maxDevices} devices`);
        }
        throw invalidCode;
      }
      if (upload !== undefined) ctx.store.storeKeys(linked.accountId, linked.deviceId, upload, now, ctx.settings.maxOneTimeKeysPerDevice);
      request.log.info({ accountId: linked.accountId, deviceId: linked.deviceId }, 'device linked');
      return reply.code(201).send({ accountId: linked.accountId, deviceId: linked.deviceId });
    },
  );

  app.get(
    '/v1/devices',
    {
      schema: {
        tags: ['devices'],
        summary: "The authenticated account's devices",
        security: basicAuth,
        response: withErrors({
          200: {
            type: 'object',
            required: ['devices'],
            properties: {
              devices: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['deviceId', 'registrationId', 'createdAt'],
                  properties: { deviceId: deviceIdSchema, registrationId: registrationIdSchema, createdAt: { type: 'integer' } },
                },
              },
            },
          },
        }),
      },
    },
    async (request) => {
      const device = authenticateDevice(request, ctx.store);
      return { devices: ctx.store.listDevices(device.accountId) ?? [] };
    },
  );

  app.delete<{ Params: { deviceId: string } }>(
    '/v1/devices/:deviceId',
    {
      schema: {
        tags: ['devices'],
        summary: 'Remove a device and its keys (the primary may remove any linked device; a linked device only itself)',
        security: basicAuth,
        params: { type: 'object', required: ['deviceId'], properties: { deviceId: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' } } },
        response: withErrors({ 204: { type: 'null', description: 'removed' } }),
      },
    },
    async (request, reply) => {
      const device = authenticateDevice(request, ctx.store);
      const target = Number(request.params.deviceId);
      if (target === PRIMARY_DEVICE_ID) throw forbidden('the primary device cannot be removed');
      if (device.deviceId !== PRIMARY_DEVICE_ID && device.deviceId !== target) {
        throw forbidden('a linked device can only remove itself');
      }
      if (!ctx.store.removeDevice(device.accountId, target)) throw notFound('UNKNOWN_DEVICE', `no device ${target} on this account`);
      request.log.info({ accountId: device.accountId, deviceId: target }, 'device removed');
      return reply.code(204).send();
    },
  );
};
