/**
 * `buildKeyServer`: the Fastify application — the kit's uniform error body
 * and schemas, OpenAPI docs, logging with secrets redacted, the shared
 * context decorated once as `app.keyserver`, and the route groups.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { clientErrorHandler, frameworkErrors, installCors, installErrorHandling, validationOptions } from '@sealpost/service-kit';
import { installRuntime, trustProxyOption, type RuntimeOptions } from '@sealpost/service-kit/runtime';
import { addressInRanges, parseAddressRanges } from './client-address.ts';
import type { SignatureVerifier } from './domain/deps.ts';
import { requestLogHook, serverLoggerOption } from './request-log.ts';
import { RegistrationGate } from './registration-gate.ts';
import { deviceVerifier } from './auth.ts';
import { DEFAULT_SETTINGS, type KeyServerSettings } from './config.ts';
import type { KeyServerContext } from './context.ts';
import type { DomainDeps } from './domain/deps.ts';
import { Accounts } from './domain/accounts.ts';
import { Devices } from './domain/devices.ts';
import { Keys } from './domain/keys.ts';
import { postgresState, processState, type SharedState } from './shared-state.ts';
import { RelayCredentialIssuer } from './relay-credential-issuer.ts';
import { SenderCertificateIssuer } from './sender-certificates.ts';
import { sharedSchemas } from './schemas.ts';
import type { KeyStore } from './store/key-store.ts';
import { SqliteKeyStore } from './store/sqlite-key-store.ts';
import { PostgresKeyStore } from './store/pg-key-store.ts';
import { accountRoutes } from './routes/accounts.ts';
import { accountDeletionRoutes } from './routes/account-deletion.ts';
import { deviceRoutes } from './routes/devices.ts';
import { keyRoutes } from './routes/keys.ts';
import { bundleRoutes } from './routes/bundles.ts';
import { credentialRoutes } from './routes/credentials.ts';
import { healthRoutes } from './routes/health.ts';
import { attachmentFormRoutes } from './routes/attachments.ts';
import type { AttachmentFormSettings } from './upload-capability-issuer.ts';
import { KtLog, type KtLogSettings } from './kt/kt-log.ts';
import { SqliteKtStore } from './kt/sqlite-kt-store.ts';
import { PgKtStore } from './kt/pg-kt-store.ts';
import { PgKtCluster } from './kt/pg-kt-cluster.ts';
import { ktRoutes } from './routes/kt.ts';

/** Options of `buildKeyServer`. */
export interface KeyServerOptions {
  /**
   * A store to use; otherwise a `PostgresKeyStore` at `databaseUrl` if given,
   * else a `SqliteKeyStore` at `dbPath`. With a `PostgresKeyStore` (given or
   * opened here), rate limits, spent registration ids and the proof-of-work
   * key are kept in its database too, shared by every instance on it.
   */
  store?: KeyStore;
  /** SQLite file path (default ':memory:'). Ignored when `store` or `databaseUrl` is given. */
  dbPath?: string;
  /** PostgreSQL URL (postgres://user@host:port/db): several instances may share it. Ignored when `store` is given. */
  databaseUrl?: string;
  /** PostgreSQL pool tunables (with `databaseUrl`). */
  postgres?: { maxConnections?: number; statementTimeoutMs?: number };
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
  /**
   * Fastify/pino logger option (default: off). Authorization headers are
   * always redacted; request lines carry no client address and no URL
   * (only the route pattern) unless `settings.logClientDetails` is set.
   */
  logger?: FastifyServerOptions['logger'];
  /** Prekey signature check (default XEdDSA verification); a seam for counting verifications. */
  verifySignature?: SignatureVerifier;
  /** Serve OpenAPI JSON and Swagger UI at /docs (default true). */
  docs?: boolean;
  /** Close the store when the server closes (default: true when the server opened it). */
  closeStore?: boolean;
  /**
   * Reverse proxies (addresses, CIDRs, `loopback`…) whose X-Forwarded-For
   * gives the client address rate limits key on; default none (the socket
   * peer counts, the header is ignored).
   */
  trustProxy?: readonly string[];
  /** Readiness and metrics (service kit runtime): `/metrics` on this port, sampling, a pool getter (default: the store's `connectionPool()`). */
  runtime?: Omit<RuntimeOptions, 'service' | 'ready'>;
  /** Browser origins allowed to call the key server (CORS; default none: no CORS headers at all). */
  corsOrigins?: readonly string[];
  /**
   * Key transparency (kt/kt-log.ts): the VRF and checkpoint keys, origin,
   * witnesses and sequencer timings; off when absent (the KT routes answer
   * 503 KT_DISABLED). On either key store; on PostgreSQL the instances
   * sharing the database elect one sequencer (kt/pg-kt-cluster.ts). `random` injects
   * the commitment openings' randomness (tests); the clock is `now`.
   */
  keyTransparency?: KtLogSettings & { random?: (n: number) => Uint8Array };
}

export { REDACTED_LOG_PATHS } from './request-log.ts';

function buildContext(options: KeyServerOptions, store: KeyStore, settings: KeyServerSettings, state: SharedState, kt: KtLog | undefined): KeyServerContext {
  const now = options.now ?? Date.now;
  const limiter = state.limiter;
  // `bundleRateLimit: false` turns bundle limiting off as a whole unless the target budget is set explicitly.
  const budget = settings.bundleRateLimit === false && options.settings?.bundleTargetBudget === undefined ? false : settings.bundleTargetBudget;
  const deps: DomainDeps = {
    store,
    settings,
    now,
    bundleLimiter: limiter('bundle', settings.bundleRateLimit),
    targetBudget: limiter('bundleTarget', budget),
    keyTransparency: kt,
    ...(options.verifySignature === undefined ? {} : { verifySignature: options.verifySignature }),
  };
  const { senderCertificate, relayCredentialKey } = options;
  const trusted = parseAddressRanges(settings.deviceListTrustedAddresses);
  const senderCertificates =
    senderCertificate && new SenderCertificateIssuer(senderCertificate.certificate, senderCertificate.privateKey, settings.senderCertificateReuseMarginMs);
  const devices = new Devices(deps);
  // A removed device's cached certificate goes with it (it could not authenticate to fetch it anyway).
  if (senderCertificates !== undefined) devices.onRemoved.push((accountId, deviceId) => senderCertificates.cache.forget(accountId, deviceId));
  return {
    accounts: new Accounts(deps),
    devices,
    keys: new Keys(deps),
    authenticate: deviceVerifier(store),
    settings,
    now,
    bundleLimiter: deps.bundleLimiter,
    targetBudget: deps.targetBudget,
    registrationLimiter: limiter('registration', settings.registrationRateLimit),
    keyUploadLimiter: limiter('keyUpload', settings.keyUploadRateLimit),
    senderCertificateLimiter: limiter('senderCertificate', settings.senderCertificateRateLimit),
    deviceListLimiter: limiter('deviceList', settings.deviceListRateLimit),
    deviceListAddressLimiter: limiter('deviceListAddress', settings.deviceListRateLimit),
    ktSearchLimiter: limiter('ktSearch', settings.ktSearchRateLimit),
    keyTransparency: kt,
    isTrustedDirectoryClient: (address) => addressInRanges(address, trusted),
    registrationGate: new RegistrationGate(settings.registrationGate, {
      ...(state.spentIds === undefined ? {} : { spentIds: state.spentIds }),
      proofOfWorkKey: state.proofOfWorkKey,
    }),
    sharedState: state,
    senderCertificates,
    relayCredentials: relayCredentialKey && new RelayCredentialIssuer(relayCredentialKey.privateKey),
    relayPublicKey: relayCredentialKey?.publicKey,
  };
}

/** The store `buildKeyServer` opens itself: PostgreSQL at `databaseUrl`, else SQLite at `dbPath`. */
async function openStore(options: KeyServerOptions): Promise<KeyStore> {
  if (options.databaseUrl === undefined) return new SqliteKeyStore(options.dbPath ?? ':memory:');
  return PostgresKeyStore.open({ url: options.databaseUrl, ...options.postgres });
}

/** The KT log over the key store's database, when configured (on PostgreSQL with its cluster, for the logger). */
async function openKeyTransparency(options: KeyServerOptions, store: KeyStore): Promise<{ log: KtLog; cluster?: PgKtCluster } | undefined> {
  const kt = options.keyTransparency;
  if (kt === undefined) return undefined;
  const now = options.now ?? Date.now;
  if (store instanceof SqliteKeyStore) return { log: await KtLog.open({ ...kt, store: new SqliteKtStore(store.db), now }) };
  if (!(store instanceof PostgresKeyStore)) throw new Error('key transparency needs the SQLite or the PostgreSQL key store');
  const ktStore = new PgKtStore(store.pool);
  const cluster = new PgKtCluster({ connection: store.pool.options, store: ktStore, ...(kt.leaderRetryMs === undefined ? {} : { retryMs: kt.leaderRetryMs }) });
  return { log: await KtLog.open({ ...kt, store: ktStore, cluster, now }), cluster };
}

/** Builds (but does not start) a key server. Call `.listen()` or `.inject()` on the result. */
export async function buildKeyServer(options: KeyServerOptions = {}): Promise<FastifyInstance> {
  const settings: KeyServerSettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const store = options.store ?? (await openStore(options));
  const closeStore = options.closeStore ?? options.store === undefined;
  let ctx: KeyServerContext;
  let kt: KtLog | undefined;
  let ktCluster: PgKtCluster | undefined;
  try {
    const opened = await openKeyTransparency(options, store);
    kt = opened?.log;
    ktCluster = opened?.cluster;
    const state = store instanceof PostgresKeyStore ? await postgresState(store.pool) : processState(settings.rateLimiterMaxKeys);
    ctx = buildContext(options, store, settings, state, kt);
  } catch (e) {
    await kt?.close().catch(() => undefined);
    if (closeStore) await store.close().catch(() => undefined);
    throw e;
  }

  const app = Fastify({
    logger: serverLoggerOption(options.logger, settings.logClientDetails),
    // fastify's own request lines carry the client address and the full URL (account ids): ours carry the route pattern.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: settings.bodyLimit,
    // Errors before routing and requests the HTTP parser refuses get the uniform error body too.
    frameworkErrors,
    clientErrorHandler,
    // JSON bodies are not coerced ("1" is not 1); params/querystring are strings on the wire (service kit).
    ...validationOptions(),
    trustProxy: trustProxyOption(options.trustProxy),
    // While closing (SIGTERM), requests on open connections are still served, not answered 503.
    return503OnClosing: false,
  });
  installErrorHandling(app);
  if (kt !== undefined) kt.logger = app.log;
  if (ktCluster !== undefined) ktCluster.log = app.log;
  // An idle pooled connection that fails (database restart, network) is replaced by the pool; say so in the log.
  if (store instanceof PostgresKeyStore) {
    const lost = (err: Error) => app.log.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'PostgreSQL connection lost');
    store.pool.on('error', lost);
    app.addHook('onClose', async () => void store.pool.off('error', lost));
  }
  const runtime = installRuntime(app, {
    service: 'keyserver',
    ...(store.ready === undefined ? {} : { ready: () => store.ready!() }),
    ...(store.connectionPool === undefined ? {} : { pool: () => store.connectionPool!() }),
    ...options.runtime,
  });
  if (store.oneTimeKeyStock !== undefined) {
    runtime.metrics.sampledGauge(
      'sealpost_keyserver_one_time_keys',
      'one-time prekeys on the server, all devices together, by kind (sampled)',
      async () => ({ ...(await store.oneTimeKeyStock!()) }),
      'kind',
    );
  }
  await installCors(app, options.corsOrigins ?? []);
  app.addHook('onResponse', requestLogHook(settings.logClientDetails));
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

  for (const routes of [healthRoutes, accountRoutes, accountDeletionRoutes, deviceRoutes, keyRoutes, bundleRoutes, credentialRoutes, ktRoutes]) await app.register(routes);
  await app.register(attachmentFormRoutes, { signingKey: options.relayCredentialKey?.privateKey, settings: options.attachmentForms });

  let pruneTimer: NodeJS.Timeout | undefined;
  if (settings.pruneIntervalMs > 0) {
    pruneTimer = setInterval(() => {
      const now = ctx.now();
      const failed = (err: unknown) => app.log.error({ err }, 'prune failed');
      store.prune(now - settings.replacedKeyGraceMs, now).catch(failed);
      ctx.sharedState.prune(now).catch(failed);
      for (const l of [ctx.bundleLimiter, ctx.targetBudget, ctx.registrationLimiter, ctx.keyUploadLimiter, ctx.senderCertificateLimiter, ctx.deviceListLimiter, ctx.deviceListAddressLimiter, ctx.ktSearchLimiter]) {
        if (l !== undefined) Promise.resolve(l.evictFull(now)).catch(failed);
      }
    }, settings.pruneIntervalMs);
    pruneTimer.unref();
  }
  app.addHook('onClose', async () => {
    if (pruneTimer !== undefined) clearInterval(pruneTimer);
    // The sequencer finishes its batch before the database closes.
    await kt?.close();
    if (closeStore) await store.close();
  });

  return app;
}
