/**
 * DELETE /v1/accounts/me: the primary device deletes its own account. One
 * store transaction removes the identity key, every device with its
 * credentials, every prekey (one-time EC and Kyber, signed, last-resort,
 * replaced ones) and every provisioning code, and leaves a tombstone, so
 * that the account's device list and bundles answer 410 `ACCOUNT_DELETED`
 * from then on and its id is never issued again. The route takes no
 * account id: only the authenticated device's own account can be deleted.
 */
import type { FastifyPluginAsync } from 'fastify';
import { authenticated, withErrors } from '@sealpost/service-kit';
import { basicAuth } from '../schemas.ts';

export const accountDeletionRoutes: FastifyPluginAsync = async (app) => {
  const { accounts, authenticate } = app.keyserver;
  await app.register(
    authenticated(authenticate, (scope) => {
      scope.delete(
        '/v1/accounts/me',
        {
          schema: {
            tags: ['accounts'],
            summary: 'Delete the own account with all its devices and keys (primary device only)',
            description:
              'Irreversible. Afterwards the account id answers 410 ACCOUNT_DELETED (device list, bundles) and its devices 401 ACCOUNT_DELETED; ' +
              'the id is never issued again. A linked device gets 403. Delete the account\'s relay queues first (the relay\'s DELETE /v1/accounts/me); ' +
              'a relay also purges them when it next learns of the deletion.',
            security: basicAuth,
            response: withErrors({ 204: { type: 'null', description: 'deleted' } }),
          },
        },
        async (request, reply) => {
          const devices = await accounts.delete(request.device);
          // As device removal and account creation: the id only at debug level.
          request.log.debug({ accountId: request.device.accountId }, 'account deleted');
          request.log.info({ devices }, 'account deleted');
          return reply.code(204).send();
        },
      );
    }),
  );
};
