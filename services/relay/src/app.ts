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
import { authenticated, clientErrorHandler, frameworkErrors, installCors, installErrorHandling, refuseForeignWebSocketOrigins, validationOptions } from '@sealpost/service-kit';
import { installRuntime, trustProxyOption, type RuntimeOptions } from '@sealpost/service-kit/runtime';
import { verifyRelayDevice, type CredentialVerifier } from './auth.ts';
import { cachingCredentialVerifier, type CachingCredentialVerifier } from './credential-cache.ts';
import { DEFAULT_LIMITS, type RelayContext, type RelayLimits } from './context.ts';
import { DeliveryHub, type DeliveryNotifier, type RelayNoticeHandlers } from './delivery-hub.ts';
import { DEFAULT_DEVICE_AUTH_TTL_MS, DeviceAuthorizer } from './device-authorizer.ts';
import { CachedDeviceDirectory, DeletionWatchingDirectory, HttpDeviceDirectory, type DeviceDirectory } from './device-directory.ts';
import { DeviceRevocation } from './device-revocation.ts';
import { DEFAULT_REVALIDATE_MS, OpenSockets } from './open-sockets.ts';
import { SendLimiter } from './limits/send-limits.ts';
import { createRelayLogger, type RelayLogOptions } from './logger.ts';
import { CachedAccessKeys, type EnvelopeStore } from './store/index.ts';
import { openStorage, type RelayDatabaseOptions } from './storage.ts';
import { accessKeyRoutes } from './routes/access-key.ts';
import { accountDeletionRoutes } from './routes/account-deletion.ts';
import { healthRoutes } from './routes/health.ts';
import { openPostgresCluster, type PostgresClusterOptions } from './notify/postgres-cluster.ts';
import { DEFAULT_PROVISIONING_LIMITS, Mailboxes, type MailboxExchange, type ProvisioningLimits } from './provisioning/mailboxes.ts';
import { provisioningRoutes } from './routes/provisioning.ts';
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
  /**
   * How committed envelopes reach connected devices, and cluster notices
   * (device removed, access key changed, mailbox filled) every instance
   * (default: with `database`, a `PostgresDeliveryNotifier` on it; else the
   * in-process `DeliveryHub`). Closed with the app when it has `close`.
   */
  delivery?: DeliveryNotifier;
  /** Where provisioning mailboxes of all instances meet (default: with `database`, its PostgreSQL table; else none, mailboxes are per process). Closed with the app. */
  provisioningExchange?: MailboxExchange;
  /** How often expired envelopes are swept, ms (default 60 000; 0 disables the timer). */
  expirySweepMs?: number;
  log?: RelayLogOptions;
  /** Clock (ms since epoch), injectable for expiry tests. */
  now?: () => number;
  /**
   * Reverse proxies (addresses, CIDRs, `loopback`…) whose X-Forwarded-For
   * gives the client address the send budgets and mailbox bounds key on;
   * default none (the socket peer counts, the header is ignored).
   */
  trustProxy?: readonly string[];
  /** Readiness and metrics (service kit runtime): `/metrics` on this port, sampling, a pool getter (default: the store's `connectionPool()`). */
  runtime?: Omit<RuntimeOptions, 'service' | 'ready'>;
  /**
   * Browser origins allowed to call the relay: CORS on HTTP, and the
   * `Origin` a WebSocket upgrade may carry (default none: no CORS headers,
   * and browser pages cannot open the WebSocket; clients without `Origin` can).
   */
  corsOrigins?: readonly string[];
}

/** Close code and reason WebSockets get when the relay shuts down: "service restart", reconnect (to another instance). */
export const CLOSE_SERVICE_RESTART = 1012;
export const CLOSE_SERVICE_RESTART_REASON = 'relay restarting; reconnect';
/** How long a WebSocket gets to finish the close handshake at shutdown before it is cut, ms. */
const SHUTDOWN_CLOSE_GRACE_MS = 2000;

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
  // Every lookup that finds an account deleted purges what the relay holds for it (and caches forget its access key).
  devices = new DeletionWatchingDirectory(devices, (accountId) => {
    void revocation.purgeAccount(accountId).then(() => notices.accessKeyChanged(accountId));
  });
  // Built before the storage opens, so a bad option (e.g. a device-auth TTL over its cap) leaves no pool open.
  const sendDirectory = new CachedDeviceDirectory(devices, options.deviceCacheTtlMs ?? 5000, now);
  const authorizer = new DeviceAuthorizer(devices, options.deviceAuthTtlMs ?? DEFAULT_DEVICE_AUTH_TTL_MS, now, (accountId, deviceId) => {
    // Every instance closes the device's sockets and forgets its lists; this one (which learned it) purges the shared queue.
    notices.deviceRemoved(accountId, deviceId);
    void revocation.purge(accountId, deviceId);
  });
  const { store, buckets, disk } = await openStorage({
    store: options.store,
    database: options.database,
    dbPath: options.dbPath,
    synchronous: options.synchronous,
    limits,
    log: () => appLog,
  });
  // On PostgreSQL the instances share the database: notices and mailboxes go through it too (unless injected).
  let cluster: PostgresClusterOptions | undefined;
  if (options.database !== undefined && options.delivery === undefined) {
    try {
      cluster = await openPostgresCluster({ url: options.database.url });
    } catch (e) {
      await store.close();
      throw e;
    }
  }
  const hub: DeliveryNotifier = options.delivery ?? cluster?.delivery ?? new DeliveryHub();
  const provisioningExchange: MailboxExchange | undefined = options.provisioningExchange ?? cluster?.provisioningExchange;
  const revocation = new DeviceRevocation(store, hub, now, () => appLog);
  const accessKeyCache =
    (options.accessKeyCacheTtlMs ?? 0) > 0 ? new CachedAccessKeys(store, { ttlMs: options.accessKeyCacheTtlMs!, now, live: () => hub.live ?? true }) : undefined;
  const credentialCacheSize = options.credentialCacheSize ?? 10_000;
  const credentialCache: CachingCredentialVerifier | undefined =
    credentialCacheSize > 0 ? cachingCredentialVerifier(options.verifyCredential, credentialCacheSize) : undefined;
  const verifyCredential: CredentialVerifier = credentialCache ?? options.verifyCredential;
  const mailboxes = new Mailboxes(
    { ...DEFAULT_PROVISIONING_LIMITS, ...options.provisioning },
    provisioningExchange,
    (key) => notices.mailboxFilled(key),
    (err, what) => appLog?.error({ err: { message: err.message } }, what),
  );
  /** What this instance does about a notice, whichever instance published it. */
  const handlers: RelayNoticeHandlers = {
    deviceRemoved: (accountId, deviceId) => {
      // Senders refetch first (so they stop addressing it), requests are decided by a fresh list, sockets close.
      sendDirectory.forget(accountId);
      authorizer.forget(accountId);
      credentialCache?.forgetDevice(accountId, deviceId);
      revocation.disconnect(accountId, deviceId, 'device removed');
    },
    accessKeyChanged: (accountId) => accessKeyCache?.forget(accountId),
    mailboxFilled: (key) => mailboxes.filled(key),
    resync: () => {
      accessKeyCache?.clear();
      mailboxes.resync();
    },
  };
  /** Publishing a notice: through the notifier to every instance, or (a notifier without cluster notices) handled here. */
  const notices: RelayContext['notices'] = {
    deviceRemoved: (accountId, deviceId) => (hub.deviceRemoved === undefined ? handlers.deviceRemoved(accountId, deviceId) : hub.deviceRemoved(accountId, deviceId)),
    accessKeyChanged: (accountId) => (hub.accessKeyChanged === undefined ? handlers.accessKeyChanged(accountId) : hub.accessKeyChanged(accountId)),
    mailboxFilled: (key) => (hub.mailboxFilled === undefined ? handlers.mailboxFilled(key) : hub.mailboxFilled(key)),
  };
  const ctx: RelayContext = {
    store,
    accessKeys: accessKeyCache ?? store,
    devices: sendDirectory,
    verifyCredential,
    audience: options.audience,
    authorizer,
    revocation,
    openSockets: new OpenSockets(authorizer, revocation, now, options.deviceRevalidateMs ?? DEFAULT_REVALIDATE_MS),
    hub,
    notices,
    limits,
    sendLimiter: new SendLimiter(limits, buckets),
    disk,
    now,
    corsOrigins: options.corsOrigins ?? [],
  };

  const logger: FastifyBaseLogger = createRelayLogger(options.log);
  const app = Fastify({
    loggerInstance: logger,
    // fastify's own request lines carry the remote address and full URL: off.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: trustProxyOption(options.trustProxy),
    // While closing (SIGTERM), requests on open connections are still served, not answered 503.
    return503OnClosing: false,
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
  hub.attach?.(handlers, app.log);
  installErrorHandling(app);
  const runtime = installRuntime(app, {
    service: 'relay',
    ...(store.ready === undefined ? {} : { ready: () => store.ready!() }),
    ...(store.connectionPool === undefined ? {} : { pool: () => store.connectionPool!() }),
    ...options.runtime,
  });
  if (store.queueStats !== undefined) {
    const stats = store.queueStats.bind(store);
    runtime.metrics.sampledGauge('sealpost_relay_queued_envelopes', 'envelopes queued, all devices (sampled)', async () => (await stats()).envelopes);
    runtime.metrics.sampledGauge('sealpost_relay_queued_bytes', 'envelope bytes queued, all devices (sampled)', async () => (await stats()).bytes);
    runtime.metrics.sampledGauge('sealpost_relay_queued_devices', 'devices with queued envelopes (sampled)', async () => (await stats()).devices);
    runtime.metrics.sampledGauge('sealpost_relay_queue_max_depth', 'the deepest device queue, envelopes (sampled)', async () => (await stats()).maxDepth);
  }
  runtime.metrics.liveGauge('sealpost_relay_websockets_open', 'open WebSocket connections (push and provisioning)', () => app.websocketServer?.clients.size ?? 0);
  runtime.metrics.liveGauge('sealpost_relay_websockets_watched', 'open push WebSockets whose device is revalidated', () => ctx.openSockets.size);
  await installCors(app, ctx.corsOrigins);
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
  // At shutdown every WebSocket is closed with 1012 (service restart): clients reconnect, to another instance.
  await app.register(fastifyWebsocket, {
    options: { maxPayload: limits.wsMaxFrameBytes },
    preClose(done) {
      const server = app.websocketServer;
      for (const client of server.clients) {
        client.close(CLOSE_SERVICE_RESTART, CLOSE_SERVICE_RESTART_REASON);
        setTimeout(() => client.terminate(), SHUTDOWN_CLOSE_GRACE_MS).unref();
      }
      server.close(() => done());
    },
  });
  // After the WebSocket plugin: its onRequest hook must run first (it closes a refused upgrade's socket).
  refuseForeignWebSocketOrigins(app, ctx.corsOrigins);

  await app.register(healthRoutes);
  await app.register(sendRoutes);
  await app.register(provisioningRoutes(mailboxes));
  // Everything a recipient device does needs its relay credential: one onRequest hook sets request.device.
  await app.register(authenticated(verifyRelayDevice, accessKeyRoutes, accountDeletionRoutes, receiveRoutes, websocketRoutes));

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
    await provisioningExchange?.close?.();
    await ctx.store.close();
    await hub.close?.();
  });
  return app;
}
