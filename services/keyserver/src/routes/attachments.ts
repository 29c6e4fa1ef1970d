/**
 * `POST /v1/attachments/form`: an upload capability for the authenticated
 * device (Signal's `GET /v4/attachments/form/upload`). The blob service
 * checks it offline; this server keeps no record of it.
 */
import type { FastifyPluginAsync } from 'fastify';
import { authenticated, HttpError, withErrors } from '@sealpost/service-kit';
import { enforceRateLimit } from '../rate-limiter.ts';
import { basicAuth } from '../schemas.ts';
import { DEFAULT_ATTACHMENT_FORM_SETTINGS, UploadCapabilityIssuer, type AttachmentFormSettings } from '../upload-capability-issuer.ts';

/** Options of the route plugin. */
export interface AttachmentFormRouteOptions {
  /** The relay-credential Ed25519 seed; without it forms answer 503. */
  signingKey: Uint8Array | undefined;
  settings?: Partial<AttachmentFormSettings>;
}

/** The attachment-form route. */
export const attachmentFormRoutes: FastifyPluginAsync<AttachmentFormRouteOptions> = async (app, opts) => {
  const ctx = app.keyserver;
  const settings = { ...DEFAULT_ATTACHMENT_FORM_SETTINGS, ...opts.settings };
  const issuer = opts.signingKey && new UploadCapabilityIssuer(opts.signingKey);
  const limiter = ctx.sharedState.limiter('attachmentForm', settings.formRateLimit);

  await app.register(
    authenticated(ctx.authenticate, (scope) => {
      scope.post(
        '/v1/attachments/form',
        {
          schema: {
            tags: ['attachments'],
            summary: 'An upload capability for one encrypted attachment',
            description:
              'Returns a blob key (15 random bytes, base64url) and a capability for the blob service: `Authorization: Bearer <token>` on the tus upload. ' +
              'uploadLength is the ciphertext length; 413 above the server maximum.',
            security: basicAuth,
            body: {
              type: 'object',
              required: ['uploadLength'],
              additionalProperties: false,
              properties: { uploadLength: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
            },
            response: withErrors({
              200: {
                type: 'object',
                required: ['key', 'token', 'maxLength', 'expiresAt', 'uploadPath'],
                properties: {
                  key: { type: 'string' },
                  token: { type: 'string' },
                  maxLength: { type: 'integer' },
                  expiresAt: { type: 'integer' },
                  uploadPath: { type: 'string' },
                },
              },
            }),
          },
        },
        async (request) => {
          if (issuer === undefined) throw new HttpError(503, 'NOT_CONFIGURED', 'this key server has no relay credential key configured');
          const { uploadLength } = request.body as { uploadLength: number };
          if (uploadLength > settings.maxUploadBytes) {
            throw new HttpError(413, 'ATTACHMENT_TOO_LARGE', `attachments are limited to ${settings.maxUploadBytes} bytes of ciphertext`, { details: { maxLength: settings.maxUploadBytes } });
          }
          const { accountId, deviceId } = request.device;
          await enforceRateLimit(limiter, `form:${accountId}.${deviceId}`, ctx.now(), 'attachment forms');
          const { token, capability } = issuer.issue(accountId, deviceId, uploadLength, ctx.now(), settings.capabilityTtlMs);
          return { key: capability.blobKey, token, maxLength: capability.maxLength, expiresAt: capability.expiresAt, uploadPath: '/v1/blobs' };
        },
      );
    }),
  );
};
