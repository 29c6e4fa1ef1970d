/** Liveness probe. */
import type { FastifyInstance } from 'fastify';

/** Registers GET /health. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness',
        tags: ['ops'],
        response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } } },
      },
    },
    async () => ({ status: 'ok' }),
  );
}
