/**
 * Accounts: creation (identity key, registration id, first device's secret
 * and initial keys; behind the registration gate when the app switched it
 * on), the proof-of-work challenge, and the device list the relay caches
 * (rate limited per client address or, with Basic credentials, per device;
 * the relays' addresses are exempt).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { authenticated, decodeBase64Field, withErrors } from '@sealpost/service-kit';
import { clientAddressKey } from '../client-address.ts';
import { limitRegistrations } from '../context.ts';
import { notFound } from '../errors.ts';
import { enforceRateLimit } from '../rate-limiter.ts';
import type { RegistrationTicket } from '../registration-gate.ts';
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

declare module 'fastify' {
  interface FastifyRequest {
    /** The registration-gate check this account creation passed (given back unless the account is created). */
    registrationTicket?: RegistrationTicket | undefined;
  }
}

/** `onRequest`: the registration gate, after the per-address limit and before the body is read. */
async function checkRegistrationGate(request: FastifyRequest): Promise<void> {
  const ctx = request.server.keyserver;
  request.registrationTicket = await ctx.registrationGate.check(request.headers, ctx.now());
}

/** `onResponse`: a token or challenge whose request created no account may be used again. */
async function releaseUnusedTicket(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (reply.statusCode !== 201) await request.registrationTicket?.release();
}

/** `onRequest` of the device list: per device with Basic credentials, else per client address unless it is a relay's. */
async function limitDeviceLists(request: FastifyRequest): Promise<void> {
  const ctx = request.server.keyserver;
  if (request.headers.authorization !== undefined) {
    const device = await ctx.authenticate(request);
    await enforceRateLimit(ctx.deviceListLimiter, `${device.accountId}.${device.deviceId}`, ctx.now(), 'device-list requests from this device');
  } else if (!ctx.isTrustedDirectoryClient(request.ip)) {
    await enforceRateLimit(ctx.deviceListAddressLimiter, clientAddressKey(request.ip), ctx.now(), 'device-list requests from this address');
  }
}

/** POST /v1/accounts, GET /v1/accounts/challenge, GET /v1/accounts/whoami, GET /v1/accounts/:accountId/devices. */
export const accountRoutes: FastifyPluginAsync = async (app) => {
  const { accounts, authenticate, registrationGate } = app.keyserver;
  if (!app.hasRequestDecorator('registrationTicket')) app.decorateRequest('registrationTicket', undefined);

  app.get(
    '/v1/accounts/challenge',
    {
      schema: {
        tags: ['accounts'],
        summary: 'A proof-of-work challenge for account creation (when the registration gate is "proof-of-work")',
        description:
          'Find a nonce with SHA-256("sealpost-pow-v1\\n" ‖ challenge ":" nonce) starting with `difficulty` zero bits, then send ' +
          '`Registration-Proof: <challenge>:<nonce>` with POST /v1/accounts. 404 when the gate is not proof-of-work.',
        response: withErrors({
          200: {
            type: 'object',
            required: ['challenge', 'difficulty', 'expiresAt'],
            properties: { challenge: { type: 'string' }, difficulty: { type: 'integer' }, expiresAt: { type: 'integer' } },
          },
        }),
      },
    },
    async () => {
      if (registrationGate.proofOfWork === undefined) throw notFound('NOT_FOUND', 'the registration gate is not proof-of-work');
      return registrationGate.proofOfWork.challenge(app.keyserver.now());
    },
  );

  app.post<{ Body: CreateAccountBody }>(
    '/v1/accounts',
    {
      onRequest: [limitRegistrations, checkRegistrationGate],
      onResponse: releaseUnusedTicket,
      schema: {
        tags: ['accounts'],
        summary: 'Create an account and its primary device (id 1)',
        description:
          'The client generates the identity key pair and a 32-byte device secret; the server keeps only a hash of the secret. ' +
          'The signed prekey and last-resort Kyber key may come along (signatures are checked against identityKey); ' +
          'the account, its device and these keys are stored together or not at all. When the registration gate is on, send ' +
          '`Registration-Token: <token signed by the app backend>` or `Registration-Proof: <challenge>:<nonce>` (services/keyserver/README.md).',
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
      // Account ids stay out of the default (info) log.
      request.log.debug({ accountId: created.accountId }, 'account created');
      return reply.code(201).send(created);
    },
  );

  app.get<{ Params: { accountId: string } }>(
    '/v1/accounts/:accountId/devices',
    {
      onRequest: limitDeviceLists,
      schema: {
        tags: ['accounts'],
        summary: "An account's devices (the relay caches this)",
        description:
          'Rate limited (429 with Retry-After) per client address (IPv6 by /64), or per device when Basic credentials are sent; ' +
          'the relays\' addresses (`deviceListTrustedAddresses`, default loopback) are exempt.',
        security: [{}, ...basicAuth],
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
