/**
 * DELETE /v1/accounts/me: the account's primary device (relay credential of
 * device 1) deletes everything the relay holds for its account — every
 * device's queue, the shared payloads only those envelopes referenced, the
 * queue counters and the access-key hash — in one store transaction. A
 * client deleting its account calls this first and the key server's
 * `DELETE /v1/accounts/me` second (after which its credential no longer
 * authenticates here); if it stops between the two, calling both again
 * completes it, and a relay that later finds the account deleted at the key
 * server purges again anyway. Registered inside `authenticatedRoutes`.
 */
import type { FastifyInstance } from 'fastify';
import { withErrors } from '@sealpost/service-kit';
import { relayError } from '../errors.ts';

/** The primary device's id (libsignal's and the key server's). */
const PRIMARY_DEVICE_ID = 1;

/** Registers DELETE /v1/accounts/me. */
export async function accountDeletionRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.relay;
  app.delete(
    '/v1/accounts/me',
    {
      schema: {
        summary: "Delete the own account's queues and access key (primary device only)",
        description: 'Idempotent. Senders get 401 UNAUTHORIZED_ACCESS until the key server deletes the account, 410 ACCOUNT_DELETED after.',
        tags: ['access'],
        headers: { type: 'object', properties: { authorization: { type: 'string' } } },
        response: withErrors({
          200: { type: 'object', required: ['purged'], properties: { purged: { type: 'integer', description: 'envelopes deleted' } } },
        }),
      },
    },
    async (request) => {
      const { device } = request;
      if (device.deviceId !== PRIMARY_DEVICE_ID) throw relayError(403, 'FORBIDDEN', 'only the primary device may delete the account');
      const purged = await ctx.store.deleteAccount(device.accountId);
      // Committed: every instance forgets the access key it may have cached.
      ctx.notices.accessKeyChanged(device.accountId);
      request.log.info({ purged }, 'queues of a deleted account purged');
      return { purged };
    },
  );
}
