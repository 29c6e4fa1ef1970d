/**
 * JSON errors as the key server answers them: `{ error: { code, message } }`
 * with the right HTTP status. Some errors carry extra lists (mismatched or
 * stale devices) inside `error`, so a sender can fix its device set and retry.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { fastifyErrorCode } from '@sealpost/keyserver/errors.ts';

/** An error the relay answers with deliberately (never a 500). */
export class RelayError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** JSON schema of the error body, shared by every route's responses. */
export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: true,
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | RelayError, request, reply) => {
    if (err instanceof RelayError) {
      void reply
        .status(err.statusCode)
        .headers(err.headers)
        .send({ error: { code: err.code, message: err.message, ...err.details } });
      return;
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const first = fe.validation[0];
      const where = `${fe.validationContext ?? 'request'}${first?.instancePath ?? ''}`;
      void reply.status(400).send({ error: { code: 'INVALID_REQUEST', message: `${where} ${first?.message ?? fe.message}` } });
      return;
    }
    const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 600 ? fe.statusCode : 500;
    if (status >= 500) {
      // Only the message: request details could identify a client.
      request.log.error({ err: { message: fe.message, code: fe.code } }, 'internal error');
      void reply.status(status).send({ error: { code: 'INTERNAL', message: 'internal error' } });
      return;
    }
    void reply.status(status).send({ error: { code: fastifyErrorCode(fe), message: fe.message } });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.routeOptions.url ?? 'here'}` } });
  });
}
