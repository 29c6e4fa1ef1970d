/**
 * `buildRelay(options)`: the relay as a fastify instance, ready to `listen`.
 *
 * The relay learns, per envelope, only the recipient account and device,
 * its size and its arrival time. Senders are anonymous (they show the
 * recipient's unidentified-access key), recipients authenticate with relay
 * credentials from the key server, device lists come from the key server.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import { authenticated, clientErrorHandler, frameworkErrors, installErrorHandling, validationOptions } from '@sealpost/service-kit';
import { verifyRelayDevice, type CredentialVerifier } from './auth.ts';
import { cachingCredentialVerifier } from './credential-cache.ts';
import { DEFAULT_LIMITS, type RelayContext, type RelayLimits } from './context.ts';
import { DeliveryHub, type DeliveryNotifier } from './delivery-hub.ts';
import { DEFAULT_DEVICE_AUTH_TTL_MS, DeviceAuthorizer } from './device-authorizer.ts';
import { CachedDeviceDirectory, HttpDeviceDirectory, type DeviceDirectory } from './device-directory.ts';
import { DeviceRevocation } from './device-revocation.ts';
import { DEFAULT_REVALIDATE_MS, OpenSockets } from './open-sockets.ts';
import { SendLimiter } from './limits/send-limits.ts';
import { createRelayLogger, type RelayLogOptions } from './logger.ts';
import { CachedAccessKeys, type EnvelopeStore } from './store/index.ts';
import { openStorage, type RelayDatabaseOptions } from './storage.ts';
import { accessKeyRoutes } from './routes/access-key.ts';
import { healthRoutes } from './routes/health.ts';
import { provisioningRoutes, type ProvisioningLimits } from './routes/provisioning.ts';
import { receiveRoutes } from './routes/receive.ts';
import { sendRoutes } from './routes/send.ts';
import { websocketRoutes } from './routes/websocket.ts';

/** Everything `buildRelay` can be told. */
export interface RelayOptions {
  /** Verifies relay credentials (`relayCredentialVerifier(publicKey)` of `@sealpost/protocol`). Required. */
  verifyCredential: CredentialVerifier;
  /**
   * Tokens whose verification is remembered (default 10 000; 0: verify every
   * request). Devices reuse one credential for many requests; a remembered
   * credential is still re-checked for expiry on every use.
   */
  credentialCacheSize?: number;
  /** Device lists: an injected directory, or `keyserverUrl` to fetch them over HTTP. */
  devices?: DeviceDirectory;
  /** Base URL of the key server (used when `devices` is not given). */
  keyserverUrl?: string;
  /** How long a device-list request to the key server may take before the send gets 503, ms (default 2000). */
  keyserverTimeoutMs?: number;
  /** How long a fetched device list is trusted for checking a sender's device set, ms (default 5000). */
  deviceCacheTtlMs?: number;
  /**
   * How long a fetched device list may authorize recipient requests, ms
   * (default 1000, at most 2000): a removed device is refused within this.
   */
  deviceAuthTtlMs?: number;
  /** How often open WebSockets' devices are revalidated, ms (default 1000; 0: never). */
  deviceRevalidateMs?: number;
  /**
   * The audience credentials must name: this relay's public origin as
   * clients address it (e.g. `https://relay.example`). Default: the origin
   * it listens on (`http://127.0.0.1:8081`), which suits local development.
   */
  audience?: string;
  /**
   * Storage: an injected store, PostgreSQL (`database`; send budgets are
   * then kept there too, shared by every instance), or a SQLite file path
   * (default ':memory:').
   */
  store?: EnvelopeStore;
  database?: RelayDatabaseOptions;
  dbPath?: string;
  /**
   * Cache access-key lookups for this long, ms (default 0: off). Worth it for a
   * networked store; absence is cached for the same time only.
   */
  accessKeyCacheTtlMs?: number;
  /** SQLite synchronous mode (default NORMAL; see store.ts for why that survives SIGKILL). */
  synchronous?: 'NORMAL' | 'FULL';
  limits?: Partial<RelayLimits>;
  /** Device-link (provisioning) mailboxes: TTL, counts, message size (routes/provisioning.ts). */
  provisioning?: Partial<ProvisioningLimits>;
  /** How committed envelopes reach connected devices (default: in-process `DeliveryHub`). */
  delivery?: DeliveryNotifier;
  /** How often expired envelopes are swept, ms (default 60 000; 0 disables the timer). */
  expirySweepMs?: number;
  log?: RelayLogOptions;
  /** Clock (ms since epoch), injectable for expiry tests. */
  now?: () => number;
}

/** Builds the relay (not yet listening). The store closes with the app. */
export async function buildRelay(options: RelayOptions): Promise<FastifyInstance> {
  const limits: RelayLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;
  let devices = options.devices;
  if (devices === undefined) {
    if (options.keyserverUrl === undefined) throw new Error('buildRelay needs `devices` or `keyserverUrl`');
    devices = new HttpDeviceDirectory(options.keyserverUrl, options.keyserverTimeoutMs ?? 2000);
  }
  let appLog: FastifyBaseLogger | undefined;
  // Built before the storage opens, so a bad option (e.g. a device-auth TTL over its cap) leaves no pool open.
  let revocation: DeviceRevocation | undefined;
  const sendDirectory = new CachedDeviceDirectory(devices, options.deviceCacheTtlMs ?? 5000, now);
  const authorizer = new DeviceAuthorizer(devices, options.deviceAuthTtlMs ?? DEFAULT_DEVICE_AUTH_TTL_MS, now, (accountId, deviceId) => {
    // Senders refetch first (so they stop addressing it), then the queue goes.
    sendDirectory.forget(accountId);
    void revocation?.removed(accountId, deviceId);
  });
  const { store, buckets, disk } = await openStorage({
    store: options.store,
    database: options.database,
    dbPath: options.dbPath,
    synchronous: options.synchronous,
    limits,
    log: () => appLog,
  });
  const hub = options.delivery ?? new DeliveryHub();
  revocation = new DeviceRevocation(store, hub, now, () => appLog);
  const ctx: RelayContext = {
    store,
    accessKeys: (options.accessKeyCacheTtlMs ?? 0) > 0 ? new CachedAccessKeys(store, { ttlMs: options.accessKeyCacheTtlMs!, now }) : store,
    devices: sendDirectory,
    verifyCredential:
      (options.credentialCacheSize ?? 10_000) > 0
        ? cachingCredentialVerifier(options.verifyCredential, options.credentialCacheSize ?? 10_000)
        : options.verifyCredential,
    audience: options.audience,
    authorizer,
    revocation,
    openSockets: new OpenSockets(authorizer, revocation, now, options.deviceRevalidateMs ?? DEFAULT_REVALIDATE_MS),
    hub,
    limits,
    sendLimiter: new SendLimiter(limits, buckets),
    disk,
    now,
  };

  const logger: FastifyBaseLogger = createRelayLogger(options.log);
  const app = Fastify({
    loggerInstance: logger,
    // fastify's own request lines carry the remote address and full URL: off.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    // Errors fastify raises before routing (bad URL encoding, over-long parameters) get the error body too.
    frameworkErrors,
    // Requests Node's HTTP parser refuses get the uniform body too (not fastify's {"error":"Bad Request",…}).
    clientErrorHandler,
    // The default body limit must fit the largest multi-recipient send; routes set their own.
    bodyLimit: 64 * 1024 * 1024,
    // JSON bodies are not coerced ("deviceId": "1" is refused); params/querystring are strings on the wire (service kit).
    ...validationOptions(),
  });
  app.decorate('relay', ctx);
  appLog = app.log;
  installErrorHandling(app);
  if (ctx.audience === undefined) {
    // Local development default: the origin this relay listens on. Behind a proxy or TLS, configure `audience`.
    app.addHook('onListen', async () => {
      const addr = app.server.address();
      if (addr === null || typeof addr === 'string' || ctx.audience !== undefined) return;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      ctx.audience = `http://${host}:${addr.port}`;
    });
  }

  if (options.log?.logRequests !== false) {
    app.addHook('onResponse', async (request, reply) => {
      request.log.info(
        { method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
        'request',
      );
    });
  }

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Sealpost relay', version: '0.1.0', description: 'Sealed-sender envelope relay: sees recipients, never senders.' },
      components: {
        securitySchemes: {
          relayCredential: { type: 'http', scheme: 'bearer', description: 'relay credential issued by the key server' },
          unidentifiedAccessKey: { type: 'apiKey', in: 'header', name: 'Unidentified-Access-Key' },
        },
      },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  // Clients only send acknowledgements (≤ wsMaxAckIds ids, 25 bytes each); larger frames close with 1009.
  await app.register(fastifyWebsocket, { options: { maxPayload: limits.wsMaxFrameBytes } });

  await app.register(healthRoutes);
  await app.register(sendRoutes);
  await app.register(provisioningRoutes(options.provisioning));
  // Everything a recipient device does needs its relay credential: one onRequest hook sets request.device.
  await app.register(authenticated(verifyRelayDevice, accessKeyRoutes, receiveRoutes, websocketRoutes));

  const sweepMs = options.expirySweepMs ?? 60_000;
  let sweeper: NodeJS.Timeout | undefined;
  if (sweepMs > 0) {
    sweeper = setInterval(() => {
      ctx.store.deleteExpired(now()).then(
        (n) => {
          if (n > 0) app.log.info({ expired: n }, 'expired envelopes deleted');
        },
        (err: unknown) => app.log.error({ err: { message: (err as Error).message } }, 'expiry sweep failed'),
      );
      ctx.sendLimiter.prune(now()).catch((err: unknown) => app.log.error({ err: { message: (err as Error).message } }, 'rate-limit prune failed'));
    }, sweepMs);
    sweeper.unref();
  }
  disk?.start();
  app.addHook('onClose', async () => {
    if (sweeper !== undefined) clearInterval(sweeper);
    ctx.openSockets.stop();
    disk?.stop();
    await ctx.store.close();
  });
  return app;
}
