/**
 * Credentials the key server signs: sender certificates (libsignal format,
 * carried inside sealed-sender envelopes) and relay credentials (tokens the
 * relay checks with this server's public key; format in @sealpost/protocol).
 */
import type { FastifyPluginAsync } from 'fastify';
import { isValidRelayAudience, RELAY_AUDIENCE_MAX_LENGTH } from '@sealpost/protocol';
import { authenticated, deviceOf, encodeBase64, withErrors } from '@sealpost/service-kit';
import type { AuthenticatedDevice } from '../auth.ts';
import type { KeyServerSettings } from '../config.ts';
import { KeyServerError } from '../errors.ts';
import { limitPerDevice } from '../context.ts';
import { accountIdSchema, basicAuth, deviceIdSchema, registrationIdSchema } from '../schemas.ts';

function notConfigured(what: string): KeyServerError {
  return new KeyServerError(503, 'NOT_CONFIGURED', `this key server has no ${what} key configured`);
}

/** The audience a relay credential is issued for: the one asked for (if allowed) or the configured default. */
function relayAudience(asked: string | undefined, settings: KeyServerSettings): string {
  const allowed = settings.relayAudiences;
  if (asked === undefined) {
    if (allowed === undefined || allowed.length === 0) {
      throw new KeyServerError(400, 'BAD_AUDIENCE', 'name the relay the credential is for: ?audience=<relay origin>');
    }
    return allowed[0]!;
  }
  if (!isValidRelayAudience(asked)) throw new KeyServerError(400, 'BAD_AUDIENCE', 'audience must be 1..255 printable ASCII characters without spaces');
  if (allowed !== undefined && !allowed.includes(asked)) throw new KeyServerError(403, 'BAD_AUDIENCE', 'this key server does not issue relay credentials for that audience');
  return asked;
}

/** Certificate and credential routes. */
export const credentialRoutes: FastifyPluginAsync = async (app) => {
  const ctx = app.keyserver;

  app.get(
    '/v1/certificate/server',
    {
      schema: {
        tags: ['certificates'],
        summary: 'The server certificate this key server signs sender certificates with',
        description: 'Clients must NOT take the trust root from here: they pin it out of band.',
        response: withErrors({
          200: { type: 'object', required: ['keyId', 'certificate'], properties: { keyId: { type: 'integer' }, certificate: { type: 'string' } } },
        }),
      },
    },
    async () => {
      if (ctx.senderCertificates === undefined) throw notConfigured('server certificate');
      const cert = ctx.senderCertificates.serverCertificate;
      return { keyId: cert.keyId, certificate: encodeBase64(cert.serialized) };
    },
  );

  app.get(
    '/v1/credentials/relay/public-key',
    {
      schema: {
        tags: ['credentials'],
        summary: 'The Ed25519 public key relay credentials verify with (raw 32 bytes, base64)',
        response: withErrors({ 200: { type: 'object', required: ['publicKey'], properties: { publicKey: { type: 'string' } } } }),
      },
    },
    async () => {
      if (ctx.relayPublicKey === undefined) throw notConfigured('relay credential');
      return { publicKey: encodeBase64(ctx.relayPublicKey) };
    },
  );

  await app.register(
    authenticated(ctx.authenticate, (scope) => {
      scope.get(
        '/v1/certificate/sender',
        {
          onRequest: limitPerDevice((c) => c.senderCertificateLimiter, 'sender-certificate requests from this device'),
          schema: {
            tags: ['certificates'],
            summary: 'A short-lived sender certificate for the authenticated device',
            description: "libsignal's SenderCertificate protobuf (server certificate embedded), base64.",
            security: basicAuth,
            response: withErrors({
              200: { type: 'object', required: ['certificate', 'expiresAt'], properties: { certificate: { type: 'string' }, expiresAt: { type: 'integer' } } },
            }),
          },
        },
        async (request) => {
          if (ctx.senderCertificates === undefined) throw notConfigured('server certificate');
          // request.device exists: removed devices fail authentication and get nothing issued.
          const device = deviceOf<AuthenticatedDevice>(request);
          const identityKey = await ctx.accounts.identityKey(device.accountId);
          const { certificate, expiresAt } = ctx.senderCertificates.issue(device, identityKey, ctx.now(), ctx.settings.senderCertificateTtlMs);
          return { certificate: encodeBase64(certificate), expiresAt };
        },
      );

      scope.get<{ Querystring: { audience?: string } }>(
        '/v1/credentials/relay',
        {
          schema: {
            tags: ['credentials'],
            summary: 'A short-lived relay credential for the authenticated device and one relay',
            description:
              'Send it to the relay as `Authorization: Bearer <token>`. `audience`: the relay it is for (its public origin, ' +
              'as the client addresses it); the relay refuses tokens for any other audience. Format: services/keyserver/README.md.',
            security: basicAuth,
            querystring: {
              type: 'object',
              additionalProperties: false,
              properties: { audience: { type: 'string', minLength: 1, maxLength: RELAY_AUDIENCE_MAX_LENGTH } },
            },
            response: withErrors({
              200: {
                type: 'object',
                required: ['token', 'accountId', 'deviceId', 'registrationId', 'expiresAt', 'audience'],
                properties: {
                  token: { type: 'string' },
                  accountId: accountIdSchema,
                  deviceId: deviceIdSchema,
                  registrationId: registrationIdSchema,
                  expiresAt: { type: 'integer' },
                  audience: { type: 'string' },
                },
              },
            }),
          },
        },
        async (request) => {
          if (ctx.relayCredentials === undefined) throw notConfigured('relay credential');
          const audience = relayAudience(request.query.audience, ctx.settings);
          const device = deviceOf<AuthenticatedDevice>(request);
          const { token, credential } = ctx.relayCredentials.issue(device, audience, ctx.now(), ctx.settings.relayCredentialTtlMs);
          return { token, ...credential };
        },
      );
    }),
  );
};
