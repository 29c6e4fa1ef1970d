/**
 * Credentials the key server signs: sender certificates (libsignal format,
 * carried inside sealed-sender envelopes) and relay credentials (tokens the
 * relay checks with this server's public key; format in @sealpost/protocol).
 */
import type { FastifyPluginAsync } from 'fastify';
import { authenticated, encodeBase64, withErrors } from '@sealpost/service-kit';
import { KeyServerError } from '../errors.ts';
import { limitPerDevice } from '../context.ts';
import { accountIdSchema, basicAuth, deviceIdSchema } from '../schemas.ts';

function notConfigured(what: string): KeyServerError {
  return new KeyServerError(503, 'NOT_CONFIGURED', `this key server has no ${what} key configured`);
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
          const { accountId, deviceId } = request.device;
          const identityKey = await ctx.accounts.identityKey(accountId);
          const { certificate, expiresAt } = ctx.senderCertificates.issue(accountId, deviceId, identityKey, ctx.now(), ctx.settings.senderCertificateTtlMs);
          return { certificate: encodeBase64(certificate), expiresAt };
        },
      );

      scope.get(
        '/v1/credentials/relay',
        {
          schema: {
            tags: ['credentials'],
            summary: 'A short-lived relay credential for the authenticated device',
            description: 'Send it to the relay as `Authorization: Bearer <token>`. Format: services/keyserver/README.md.',
            security: basicAuth,
            response: withErrors({
              200: {
                type: 'object',
                required: ['token', 'accountId', 'deviceId', 'expiresAt'],
                properties: { token: { type: 'string' }, accountId: accountIdSchema, deviceId: deviceIdSchema, expiresAt: { type: 'integer' } },
              },
            }),
          },
        },
        async (request) => {
          if (ctx.relayCredentials === undefined) throw notConfigured('relay credential');
          const { token, credential } = ctx.relayCredentials.issue(request.device.accountId, request.device.deviceId, ctx.now(), ctx.settings.relayCredentialTtlMs);
          return { token, ...credential };
        },
      );
    }),
  );
};
