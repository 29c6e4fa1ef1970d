/**
 * Accounts: creation (identity key, registration id, first device's secret)
 * and the public device list the relay caches.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { authenticateDevice } from '../auth.ts';
import { clientAddress, enforceRateLimit, type KeyServerContext } from '../context.ts';
import { hashDeviceSecret, DEVICE_SECRET_LENGTH } from '../device-secret.ts';
import { notFound } from '../errors.ts';
import { checkKeyUpload, type SignedPreKeyJson } from '../key-upload.ts';
import { PRIMARY_DEVICE_ID } from '../store/sqlite-key-store.ts';
import { decodeBase64, decodeEcPublicKey } from '../wire-keys.ts';
import {
  accountIdSchema,
  basicAuth,
  deviceIdSchema,
  deviceSecretField,
  identityKeyField,
  registrationIdSchema,
  withErrors,
} from '../schemas.ts';

interface CreateAccountBody {
  identityKey: string;
  registrationId: number;
  deviceSecret: string;
  signedPreKey?: SignedPreKeyJson;
  pqLastResortPreKey?: SignedPreKeyJson;
}

const deviceListSchema = {
  type: 'object',
  required: ['devices'],
  properties: {
    devices: {
      type: 'array',
      items: {
        type: 'object',
        required: ['deviceId', 'registrationId'],
        properties: { deviceId: deviceIdSchema, registrationId: registrationIdSchema },
      },
    },
  },
} as const;

/** POST /v1/accounts, GET /v1/accounts/whoami, GET /v1/accounts/:accountId/devices. */
export const accountRoutes: FastifyPluginAsync<{ ctx: KeyServerContext }> = async (app, { ctx }) => {
  app.post<{ Body: CreateAccountBody }>(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Create an account and its primary device (id 1)',
        description:
          'The client generates the identity key pair and a 32-byte device secret; the server keeps only a hash of the secret. ' +
          'The signed prekey and last-resort Kyber key may come along (signatures are checked against identityKey).',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['identityKey', 'registrationId', 'deviceSecret'],
          properties: {
            identityKey: identityKeyField,
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
      const identityKey = decodeEcPublicKey('identityKey', body.identityKey);
      const secret = decodeBase64('deviceSecret', body.deviceSecret, DEVICE_SECRET_LENGTH);
      const hasKeys = body.signedPreKey !== undefined || body.pqLastResortPreKey !== undefined;
      const upload = hasKeys
        ? checkKeyUpload({ signedPreKey: body.signedPreKey, pqLastResortPreKey: body.pqLastResortPreKey }, identityKey)
        : undefined;
      let accountId = randomUUID();
      // A v4 UUID collision is astronomically unlikely; retry rather than assume.
      while (!ctx.store.createAccount({ accountId, identityKey, registrationId: body.registrationId, secretHash: hashDeviceSecret(secret), now })) {
        accountId = randomUUID();
      }
      if (upload !== undefined) ctx.store.storeKeys(accountId, PRIMARY_DEVICE_ID, upload, now, ctx.settings.maxOneTimeKeysPerDevice);
      request.log.info({ accountId }, 'account created');
      return reply.code(201).send({ accountId, deviceId: PRIMARY_DEVICE_ID });
    },
  );

  app.get(
    '/v1/accounts/whoami',
    {
      schema: {
        tags: ['accounts'],
        summary: 'The authenticated device',
        security: basicAuth,
        response: withErrors({
          200: {
            type: 'object',
            required: ['accountId', 'deviceId', 'registrationId'],
            properties: { accountId: accountIdSchema, deviceId: deviceIdSchema, registrationId: registrationIdSchema },
          },
        }),
      },
    },
    async (request) => authenticateDevice(request, ctx.store),
  );

  app.get<{ Params: { accountId: string } }>(
    '/v1/accounts/:accountId/devices',
    {
      schema: {
        tags: ['accounts'],
        summary: "An account's devices (public; the relay caches this)",
        params: { type: 'object', required: ['accountId'], properties: { accountId: accountIdSchema } },
        response: withErrors({ 200: deviceListSchema }),
      },
    },
    async (request) => {
      const devices = ctx.store.listDevices(request.params.accountId);
      if (devices === undefined) throw notFound('UNKNOWN_ACCOUNT', 'no such account');
      return { devices: devices.map((d) => ({ deviceId: d.deviceId, registrationId: d.registrationId })) };
    },
  );
};
