/**
 * `buildKeyServer`: the Fastify application — the kit's uniform error body
 * and schemas, OpenAPI docs, logging with secrets redacted, the shared
 * context decorated once as `app.keyserver`, and the route groups.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { frameworkErrors, installErrorHandling } from '@sealpost/service-kit';
import { deviceVerifier } from './auth.ts';
import { DEFAULT_SETTINGS, type KeyServerSettings } from './config.ts';
import type { KeyServerContext } from './context.ts';
import type { DomainDeps } from './domain/deps.ts';
import { Accounts } from './domain/accounts.ts';
import { Devices } from './domain/devices.ts';
import { Keys } from './domain/keys.ts';
import { RateLimiter } from './rate-limiter.ts';
import { RelayCredentialIssuer } from './relay-credential-issuer.ts';
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
import { attachmentFormRoutes } from './routes/attachments.ts';
import type { AttachmentFormSettings } from './upload-capability-issuer.ts';

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
  /** Attachment-form settings (upload-capability-issuer.ts); forms are signed with `relayCredentialKey`. */
  attachmentForms?: Partial<AttachmentFormSettings>;
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

function buildContext(options: KeyServerOptions, store: KeyStore, settings: KeyServerSettings): KeyServerContext {
  const now = options.now ?? Date.now;
  const deps: DomainDeps = {
    store,
    settings,
    now,
    bundleLimiter: settings.bundleRateLimit === false ? undefined : new RateLimiter(settings.bundleRateLimit),
  };
  const { senderCertificate, relayCredentialKey } = options;
  return {
    accounts: new Accounts(deps),
    devices: new Devices(deps),
    keys: new Keys(deps),
    authenticate: deviceVerifier(store),
    settings,
    now,
    registrationLimiter: settings.registrationRateLimit === false ? undefined : new RateLimiter(settings.registrationRateLimit),
    senderCertificates: senderCertificate && new SenderCertificateIssuer(senderCertificate.certificate, senderCertificate.privateKey),
    relayCredentials: relayCredentialKey && new RelayCredentialIssuer(relayCredentialKey.privateKey),
    relayPublicKey: relayCredentialKey?.publicKey,
  };
}

/** Builds (but does not start) a key server. Call `.listen()` or `.inject()` on the result. */
export async function buildKeyServer(options: KeyServerOptions = {}): Promise<FastifyInstance> {
  const settings: KeyServerSettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const store = options.store ?? new SqliteKeyStore(options.dbPath ?? ':memory:');
  const closeStore = options.closeStore ?? options.store === undefined;
  const ctx = buildContext(options, store, settings);

  const app = Fastify({
    logger: loggerOption(options.logger),
    bodyLimit: settings.bodyLimit,
    frameworkErrors,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  installErrorHandling(app);
  for (const schema of sharedSchemas) app.addSchema(schema);
  // JSON only: without this Fastify would parse text/plain into a string.
  app.removeContentTypeParser('text/plain');
  app.decorate('keyserver', ctx);

  if (options.docs ?? true) {
    await app.register(swagger, {
      openapi: {
        info: { title: 'Sealpost key server', version: '0.1.0', description: 'Accounts, devices, prekey bundles, sender certificates and relay credentials.' },
        components: { securitySchemes: { deviceBasic: { type: 'http', scheme: 'basic', description: 'base64("<accountId>.<deviceId>:<base64 device secret>")' } } },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }

  for (const routes of [healthRoutes, accountRoutes, deviceRoutes, keyRoutes, bundleRoutes, credentialRoutes]) await app.register(routes);
  await app.register(attachmentFormRoutes, { signingKey: options.relayCredentialKey?.privateKey, settings: options.attachmentForms });

  let pruneTimer: NodeJS.Timeout | undefined;
  if (settings.pruneIntervalMs > 0) {
    pruneTimer = setInterval(() => {
      const now = ctx.now();
      store.prune(now - settings.replacedKeyGraceMs, now).catch((err: unknown) => app.log.error({ err }, 'prune failed'));
    }, settings.pruneIntervalMs);
    pruneTimer.unref();
  }
  app.addHook('onClose', async () => {
    if (pruneTimer !== undefined) clearInterval(pruneTimer);
    if (closeStore) await store.close();
  });

  return app;
}
