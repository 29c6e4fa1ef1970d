/**
 * Accounts: creation (identity key, registration id, first device's secret
 * and initial keys) and the public device list the relay caches.
 */
import type { FastifyPluginAsync } from 'fastify';
import { authenticated, decodeBase64Field, withErrors } from '@sealpost/service-kit';
import { limitRegistrations } from '../context.ts';
import { DEVICE_SECRET_LENGTH } from '../device-secret.ts';
import type { InitialKeysJson } from '../domain/keys.ts';
import { decodeEcPublicKey } from '../wire-keys.ts';
import {
  accountIdSchema,
  basicAuth,
  deviceAddressSchema,
  deviceIdSchema,
  deviceSecretField,
  identityKeyField,
  initialKeysProperties,
  registrationIdSchema,
} from '../schemas.ts';

interface CreateAccountBody extends InitialKeysJson {
  identityKey: string;
  registrationId: number;
  deviceSecret: string;
}

const deviceListSchema = {
  type: 'object',
  required: ['devices'],
  properties: {
    devices: {
      type: 'array',
      items: { type: 'object', required: ['deviceId', 'registrationId'], properties: { deviceId: deviceIdSchema, registrationId: registrationIdSchema } },
    },
  },
} as const;

/** POST /v1/accounts, GET /v1/accounts/whoami, GET /v1/accounts/:accountId/devices. */
export const accountRoutes: FastifyPluginAsync = async (app) => {
  const { accounts, authenticate } = app.keyserver;

  app.post<{ Body: CreateAccountBody }>(
    '/v1/accounts',
    {
      onRequest: limitRegistrations,
      schema: {
        tags: ['accounts'],
        summary: 'Create an account and its primary device (id 1)',
        description:
          'The client generates the identity key pair and a 32-byte device secret; the server keeps only a hash of the secret. ' +
          'The signed prekey and last-resort Kyber key may come along (signatures are checked against identityKey); ' +
          'the account, its device and these keys are stored together or not at all.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['identityKey', 'registrationId', 'deviceSecret'],
          properties: { identityKey: identityKeyField, registrationId: registrationIdSchema, deviceSecret: deviceSecretField, ...initialKeysProperties },
        },
        response: withErrors({ 201: deviceAddressSchema }),
      },
    },
    async (request, reply) => {
      const { identityKey, registrationId, deviceSecret, ...initialKeys } = request.body;
      const created = await accounts.create({
        identityKey: decodeEcPublicKey('identityKey', identityKey),
        registrationId,
        secret: decodeBase64Field('deviceSecret', deviceSecret, DEVICE_SECRET_LENGTH),
        initialKeys,
      });
      request.log.info({ accountId: created.accountId }, 'account created');
      return reply.code(201).send(created);
    },
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
    async (request) => ({ devices: await accounts.devices(request.params.accountId) }),
  );

  await app.register(
    authenticated(authenticate, (scope) => {
      scope.get(
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
        async (request) => request.device,
      );
    }),
  );
};
