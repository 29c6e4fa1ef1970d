/**
 * `buildKeyServer`: the Fastify application — schemas, OpenAPI docs, the
 * uniform error body, logging with secrets redacted, and the route groups.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { DEFAULT_SETTINGS, type KeyServerSettings } from './config.ts';
import type { KeyServerContext } from './context.ts';
import { KeyServerError, fastifyErrorCode } from './errors.ts';
import { RateLimiter } from './rate-limiter.ts';
import { RelayCredentialIssuer } from './relay-credentials.ts';
import { SenderCertificateIssuer } from './sender-certificates.ts';
import { sharedSchemas } from './schemas.ts';
import type { KeyStore } from './store/key-store.ts';
import { SqliteKeyStore } from './store/sqlite-key-store.ts';
import { accountRoutes } from './routes/accounts.ts';
import { deviceRoutes } from './routes/devices.ts';
import { keyRoutes } from './routes/keys.ts';
import { bundleRoutes } from './routes/bundles.ts';
import { credentialRoutes } from './routes/credentials.ts';
import { healthRoutes } from './routes/health.ts';

/** Options of `buildKeyServer`. */
export interface KeyServerOptions {
  /** A store to use; otherwise a `SqliteKeyStore` at `dbPath`. */
  store?: KeyStore;
  /** SQLite file path (default ':memory:'). Ignored when `store` is given. */
  dbPath?: string;
  /** The server certificate (serialized) and its private key; without it sender certificates are unavailable (503). */
  senderCertificate?: { certificate: Uint8Array; privateKey: Uint8Array };
  /** The relay-credential Ed25519 key pair (raw 32-byte seed and public key); without it relay credentials are unavailable (503). */
  relayCredentialKey?: { privateKey: Uint8Array; publicKey: Uint8Array };
  /** Overrides of the defaults in config.ts. */
  settings?: Partial<KeyServerSettings>;
  /** Clock (ms since the epoch). */
  now?: () => number;
  /** Fastify/pino logger option (default: off). Authorization headers are always redacted. */
  logger?: FastifyServerOptions['logger'];
  /** Serve OpenAPI JSON and Swagger UI at /docs (default true). */
  docs?: boolean;
  /** Close the store when the server closes (default: true when the server opened it). */
  closeStore?: boolean;
}

/** Paths pino must never print. */
export const REDACTED_LOG_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'];

function loggerOption(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (logger === undefined || logger === false) return false;
  const base = logger === true ? {} : (logger as Record<string, unknown>);
  return { ...base, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } } as FastifyServerOptions['logger'];
}

export async function buildKeyServer(options: KeyServerOptions = {}): Promise<FastifyInstance> {
  const settings: KeyServerSettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const store = options.store ?? new SqliteKeyStore(options.dbPath ?? ':memory:');
  const closeStore = options.closeStore ?? options.store === undefined;
  const ctx: KeyServerContext = {
    store,
    settings,
    now: options.now ?? Date.now,
    bundleLimiter: settings.bundleRateLimit === false ? undefined : new RateLimiter(settings.bundleRateLimit),
    registrationLimiter: settings.registrationRateLimit === false ? undefined : new RateLimiter(settings.registrationRateLimit),
    senderCertificates:
      options.senderCertificate === undefined
        ? undefined
        : new SenderCertificateIssuer(options.senderCertificate.certificate, options.senderCertificate.privateKey),
    relayCredentials: options.relayCredentialKey === undefined ? undefined : new RelayCredentialIssuer(options.relayCredentialKey.privateKey),
    relayPublicKey: options.relayCredentialKey?.publicKey,
  };

  const app = Fastify({
    logger: loggerOption(options.logger),
    bodyLimit: settings.bodyLimit,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });

  for (const schema of sharedSchemas) app.addSchema(schema);
  // JSON only: without this Fastify would parse text/plain into a string.
  app.removeContentTypeParser('text/plain');

  if (options.docs ?? true) {
    await app.register(swagger, {
      openapi: {
        info: { title: 'Sealpost key server', version: '0.1.0', description: 'Accounts, devices, prekey bundles, sender certificates and relay credentials.' },
        components: { securitySchemes: { deviceBasic: { type: 'http', scheme: 'basic', description: 'base64("<accountId>.<deviceId>:<base64 device secret>")' } } },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }

  app.setErrorHandler((err: FastifyError | KeyServerError, request, reply) => {
    if (err instanceof KeyServerError) {
      void reply.headers(err.headers).code(err.statusCode).send({ error: { code: err.code, message: err.message } });
      return;
    }
    if (err.validation !== undefined) {
      void reply.code(400).send({ error: { code: 'INVALID_REQUEST', message: `${err.validationContext ?? 'request'} ${err.validation[0]?.instancePath ?? ''} ${err.validation[0]?.message ?? err.message}`.replace(/\s+/g, ' ').trim() } });
      return;
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      void reply.code(status).send({ error: { code: fastifyErrorCode(err), message: err.message } });
      return;
    }
    request.log.error({ err }, 'unhandled error');
    void reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal server error' } });
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });

  await app.register(healthRoutes, { ctx });
  await app.register(accountRoutes, { ctx });
  await app.register(deviceRoutes, { ctx });
  await app.register(keyRoutes, { ctx });
  await app.register(bundleRoutes, { ctx });
  await app.register(credentialRoutes, { ctx });

  let pruneTimer: NodeJS.Timeout | undefined;
  if (settings.pruneIntervalMs > 0) {
    pruneTimer = setInterval(() => {
      const now = ctx.now();
      try {
        store.prune(now - settings.replacedKeyGraceMs, now);
      } catch (err) {
        app.log.error({ err }, 'prune failed');
      }
    }, settings.pruneIntervalMs);
    pruneTimer.unref();
  }
  app.addHook('onClose', async () => {
    if (pruneTimer !== undefined) clearInterval(pruneTimer);
    if (closeStore) store.close();
  });

  return app;
}
