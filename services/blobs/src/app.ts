/**
 * `buildBlobServer`: the standalone blob service — the kit's error body,
 * OpenAPI at /docs, logging without IPs, URLs or keys, and the blobService
 * plugin. Not listening yet: call `.listen()`.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import pino, { type DestinationStream } from 'pino';
import { frameworkErrors, installErrorHandling } from '@sealpost/service-kit';
import { blobService, type BlobServiceOptions } from './plugin.ts';
import { openBlobSharedState } from './shared-state.ts';

export interface BlobServerOptions extends BlobServiceOptions {
  /** pino level (default 'silent' for tests; main.ts passes 'info'). */
  logLevel?: string;
  logStream?: DestinationStream;
  /** Serve OpenAPI JSON and Swagger UI at /docs (default true). */
  docs?: boolean;
  /**
   * PostgreSQL shared by several instances over one blob directory (write
   * locks and quotas; see shared-state.ts). Opened here, closed with the app.
   */
  databaseUrl?: string;
}

export async function buildBlobServer(options: BlobServerOptions): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = pino(
    {
      level: options.logLevel ?? 'silent',
      base: { service: 'blobs' },
      redact: { paths: ['req.remoteAddress', 'req.remotePort', 'req.headers', 'req.url', 'req.query', 'hostname', 'ip'], remove: true },
      serializers: {
        req: (req: { method?: string; routeOptions?: { url?: string } }) => ({ method: req.method, route: req.routeOptions?.url }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    options.logStream ?? pino.destination(1),
  );
  const app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }), trustProxy: false, frameworkErrors, bodyLimit: 64 * 1024 });
  installErrorHandling(app);
  app.addHook('onResponse', async (request, reply) => {
    // Method, route template and status only: never the blob key, the client address or headers.
    request.log.info({ method: request.method, route: request.routeOptions.url, status: reply.statusCode }, 'request');
  });
  if (options.docs ?? true) {
    await app.register(swagger, {
      openapi: {
        info: { title: 'Sealpost blob service', version: '0.1.0', description: 'Encrypted attachment blobs: tus uploads with key-server capabilities, Range downloads by random key.' },
        components: { securitySchemes: { uploadCapability: { type: 'http', scheme: 'bearer', description: 'upload capability from the key server (POST /v1/attachments/form)' } } },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }
  app.get('/health', { schema: { tags: ['health'], response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));
  const { directory, keyserverPublicKey, verifyCapability, settings, now } = options;
  let shared = options.shared;
  if (shared === undefined && options.databaseUrl !== undefined) {
    const opened = await openBlobSharedState({ url: options.databaseUrl, onError: (err) => app.log.error({ err: { message: err.message } }, 'database connection failed') });
    app.addHook('onClose', () => opened.close());
    shared = opened;
  }
  await app.register(blobService, { directory, keyserverPublicKey, verifyCapability, settings, now, shared });
  return app;
}
