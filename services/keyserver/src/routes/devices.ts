/**
 * Devices: provisioning codes (made by the primary device), linking a new
 * device with one (with its initial keys), listing and removing devices.
 */
import type { FastifyPluginAsync } from 'fastify';
import { authenticated, decodeBase64Field, withErrors } from '@sealpost/service-kit';
import { limitRegistrations } from '../context.ts';
import { DEVICE_SECRET_LENGTH } from '../device-secret.ts';
import type { InitialKeysJson } from '../domain/keys.ts';
import { basicAuth, deviceAddressSchema, deviceIdSchema, deviceSecretField, initialKeysProperties, registrationIdSchema } from '../schemas.ts';

interface LinkBody extends InitialKeysJson {
  provisioningCode: string;
  registrationId: number;
  deviceSecret: string;
}

const deviceListSchema = {
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
} as const;

/** Device routes. */
export const deviceRoutes: FastifyPluginAsync = async (app) => {
  const { devices, authenticate } = app.keyserver;

  app.post<{ Body: LinkBody }>(
    '/v1/devices/link',
    {
      onRequest: limitRegistrations,
      schema: {
        tags: ['devices'],
        summary: 'Link a new device with a provisioning code',
        description: 'The device and its initial keys (signatures checked against the account identity key) are stored together or not at all.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['provisioningCode', 'registrationId', 'deviceSecret'],
          properties: { provisioningCode: { type: 'string', maxLength: 64 }, registrationId: registrationIdSchema, deviceSecret: deviceSecretField, ...initialKeysProperties },
        },
        response: withErrors({ 201: deviceAddressSchema }),
      },
    },
    async (request, reply) => {
      const { provisioningCode, registrationId, deviceSecret, ...initialKeys } = request.body;
      const secret = decodeBase64Field('deviceSecret', deviceSecret, DEVICE_SECRET_LENGTH);
      const linked = await devices.link({ provisioningCode, registrationId, secret, initialKeys });
      request.log.info(linked, 'device linked');
      return reply.code(201).send(linked);
    },
  );

  await app.register(
    authenticated(authenticate, (scope) => {
      scope.post(
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
        async (request, reply) => reply.code(201).send(await devices.createProvisioningCode(request.device)),
      );

      scope.get(
        '/v1/devices',
        { schema: { tags: ['devices'], summary: "The authenticated account's devices", security: basicAuth, response: withErrors({ 200: deviceListSchema }) } },
        async (request) => ({ devices: await devices.list(request.device) }),
      );

      scope.delete<{ Params: { deviceId: string } }>(
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
          const target = Number(request.params.deviceId);
          await devices.remove(request.device, target);
          request.log.info({ accountId: request.device.accountId, deviceId: target }, 'device removed');
          return reply.code(204).send();
        },
      );
    }),
  );
};
