/**
 * The blob service as a fastify plugin: mount it in a standalone server
 * (app.ts) or in the relay process (`await relay.register(blobService,
 * {...})` before `listen`). It decorates the instance with `blobs`
 * (`sweep()`, the directory) and stops its sweeper when the app closes.
 */
import { mkdirSync } from 'node:fs';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { verifyUploadCapability, type UploadCapability } from '@sealpost/protocol';
import { withErrors } from '@sealpost/service-kit';
import { BlobDirectory } from './blob-directory.ts';
import { downloadRoutes, keyParams } from './download-routes.ts';
import { DEFAULT_BLOB_SETTINGS, type BlobSettings } from './settings.ts';
import { sweepExpired } from './sweeper.ts';
import type { BlobSharedState } from './shared-state.ts';
import { memoryQuota } from './upload-quota.ts';
import { admitCreation, createTusServer, TUS_PATH } from './tus-server.ts';


export interface BlobServiceOptions {
  /** Directory the blobs live in (created if absent). */
  directory: string;
  /** The key server's relay-credential public key (raw 32 bytes): capabilities verify with it. */
  keyserverPublicKey?: Uint8Array;
  /** Or a verifier of your own (tests). */
  verifyCapability?: (token: string, now: number) => UploadCapability | undefined;
  settings?: Partial<BlobSettings>;
  now?: () => number;
  /** Several instances over one directory: write locks and quotas in PostgreSQL (see shared-state.ts). */
  shared?: BlobSharedState;
}

/** What the plugin decorates the instance with. */
export interface BlobServiceHandle {
  directory: BlobDirectory;
  settings: BlobSettings;
  /** Deletes expired blobs now; returns how many. */
  sweep(): Promise<number>;
}

declare module 'fastify' {
  interface FastifyInstance {
    blobs: BlobServiceHandle;
  }
}

const tusRoutes = (handle: (request: FastifyRequest, reply: FastifyReply) => Promise<void>): FastifyPluginAsync => async (app) => {
  // tus bodies are raw streams the tus server reads itself.
  app.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));
  const errors = withErrors({ 204: { description: 'done', type: 'null' } });
  app.route({ method: 'OPTIONS', url: TUS_PATH, schema: { tags: ['blobs'], summary: 'tus capabilities (Tus-Version, Tus-Extension, Tus-Max-Size)', response: errors }, handler: handle });
  app.route({
    method: 'POST',
    url: TUS_PATH,
    schema: {
      tags: ['blobs'],
      summary: 'tus creation (with upload): Authorization: Bearer <upload capability>, Upload-Length ≤ capability max; 201 + Location',
      security: [{ uploadCapability: [] }],
      response: withErrors({ 201: { description: 'created', type: 'null' } }),
    },
    handler: handle,
  });
  for (const method of ['PATCH', 'DELETE'] as const) {
    app.route({
      method,
      url: `${TUS_PATH}/:key`,
      schema: {
        tags: ['blobs'],
        summary: method === 'PATCH' ? 'tus append at Upload-Offset (409 on mismatch, 423 while another request writes)' : 'tus termination',
        params: keyParams,
        security: [{ uploadCapability: [] }],
        response: errors,
      },
      handler: handle,
    });
  }
};

export const blobService: FastifyPluginAsync<BlobServiceOptions> = async (app, options) => {
  const settings: BlobSettings = { ...DEFAULT_BLOB_SETTINGS, ...options.settings };
  const now = options.now ?? Date.now;
  mkdirSync(options.directory, { recursive: true, mode: 0o700 });
  const dir = new BlobDirectory(options.directory);
  let verify = options.verifyCapability;
  if (verify === undefined) {
    if (options.keyserverPublicKey === undefined) throw new Error('blobService needs keyserverPublicKey or verifyCapability');
    const key = options.keyserverPublicKey.slice();
    verify = (token, t) => verifyUploadCapability(token, key, t);
  }
  const deps = {
    dir,
    settings,
    now,
    verify,
    ...(options.shared === undefined
      ? {
          uploadRate: settings.uploadRateLimit === false ? undefined : memoryQuota(settings.uploadRateLimit),
          uploadBytes: settings.uploadByteQuota === false ? undefined : memoryQuota(settings.uploadByteQuota),
        }
      : { ...options.shared.quotas(settings), locker: options.shared.locker }),
  };
  const tus = createTusServer(deps);
  const headerGetter = (request: FastifyRequest) => ({
    method: request.method,
    headers: { get: (name: string) => (typeof request.headers[name] === 'string' ? (request.headers[name] as string) : null) },
  });
  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // Before hijacking, so refusals go through the uniform error handler with their headers.
    if (request.method === 'POST') await admitCreation(headerGetter(request), deps);
    reply.hijack();
    await tus.handle(request.raw, reply.raw);
  };
  const sweep = (): Promise<number> => sweepExpired(dir, settings, now());
  await sweep(); // counts what is on disk
  app.decorate('blobs', { directory: dir, settings, sweep });

  await app.register(tusRoutes(handle));
  await app.register(downloadRoutes({ dir, settings, now }, handle));

  let timer: NodeJS.Timeout | undefined;
  if (settings.sweepIntervalMs > 0) {
    timer = setInterval(() => {
      sweep().then(
        (n) => n > 0 && app.log.info({ expired: n }, 'expired blobs deleted'),
        (err: unknown) => app.log.error({ err: { message: (err as Error).message } }, 'blob sweep failed'),
      );
    }, settings.sweepIntervalMs);
    timer.unref();
  }
  app.addHook('onClose', async () => {
    if (timer !== undefined) clearInterval(timer);
  });
};
// Not encapsulated: `app.blobs` is visible to the instance that registers it.
(blobService as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
