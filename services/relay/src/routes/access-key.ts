/**
 * Registering the account's unidentified-access key: only the account's
 * primary device (relay credential of device 1) may set it — replacing it
 * makes every contact's sealed sends fail until they learn the new profile
 * key, so a linked (or removed) device must not be able to. Registered
 * inside `authenticatedRoutes`. The relay stores SHA-256(UAK).
 */
import type { FastifyInstance } from 'fastify';
import { ACCESS_KEY_LENGTH } from '@sealpost/protocol';
import { withErrors } from '@sealpost/service-kit';
import { hashAccessKey, parseAccessKey } from '../access-key.ts';
import { relayError } from '../errors.ts';
import { accountIdSchema, base64Schema } from '../schemas.ts';

/** The primary device's id (libsignal's and the key server's). */
const PRIMARY_DEVICE_ID = 1;

/** Registers PUT /v1/accounts/:accountId/access-key. */
export async function accessKeyRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.relay;
  app.put<{ Params: { accountId: string }; Body: { accessKey: string } }>(
    '/v1/accounts/:accountId/access-key',
    {
      schema: {
        summary: "Register the account's unidentified-access key (primary device only)",
        description: 'UAK = first 16 bytes of AES-256-GCM(profileKey, 0^12 nonce, 0^16). Stored as SHA-256.',
        tags: ['access'],
        headers: { type: 'object', properties: { authorization: { type: 'string' } } },
        params: { type: 'object', required: ['accountId'], properties: { accountId: accountIdSchema } },
        body: { type: 'object', required: ['accessKey'], additionalProperties: false, properties: { accessKey: base64Schema } },
        response: withErrors({ 204: { type: 'null' } }),
      },
    },
    async (request, reply) => {
      const { device } = request;
      if (device.accountId !== request.params.accountId) {
        throw relayError(403, 'FORBIDDEN', 'a device may only set its own account access key');
      }
      if (device.deviceId !== PRIMARY_DEVICE_ID) {
        throw relayError(403, 'FORBIDDEN', 'only the primary device may set the account access key');
      }
      const key = parseAccessKey(request.body.accessKey);
      if (key === undefined) {
        throw relayError(400, 'BAD_ACCESS_KEY', `accessKey must be base64 of ${ACCESS_KEY_LENGTH} bytes`);
      }
      await ctx.accessKeys.setAccessKeyHash(device.accountId, hashAccessKey(key));
      // Committed: every other instance forgets the old hash it may have cached.
      ctx.notices.accessKeyChanged(device.accountId);
      return reply.status(204).send();
    },
  );
}
