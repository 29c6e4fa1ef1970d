/**
 * `buildWitnessServer`: the witness as a production service, like the key
 * server, relay and blob service — the kit's error body and runtime
 * (`/ready` checking the store, `/metrics` with prom-client, draining),
 * pino without client addresses, URLs or headers, a body limit and request
 * timeouts, per-address rate limits on add-checkpoint, and SQLite or
 * PostgreSQL underneath. Not listening yet: call `.listen()`.
 *
 * The store: `options.store` when given (the caller closes it, as before);
 * else PostgreSQL at `databaseUrl`, else SQLite at `dbPath` (default
 * ':memory:'), opened here and closed with the app.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino from 'pino';
import { clientErrorHandler, frameworkErrors, installErrorHandling } from '@sealpost/service-kit';
import { installRuntime, trustProxyOption, type RuntimeOptions } from '@sealpost/service-kit/runtime';
import { PostgresWitnessStore } from './pg-store.ts';
import { DEFAULT_ADD_CHECKPOINT_RATE_LIMIT, MemoryAddressLimiter, PgAddressLimiter, type AddressLimiter, type RateLimit } from './rate-limit.ts';
import { witnessRoutes } from './routes.ts';
import type { WitnessStateStore } from './state.ts';
import { WitnessStore } from './store.ts';
import { Witness, type WitnessOptions } from './witness.ts';

export type WitnessServer = FastifyInstance & { witness: Witness; witnessStore: WitnessStateStore };

export interface WitnessServerOptions extends Omit<WitnessOptions, 'store'> {
  /** A store the caller opened (and closes after the app). Without it the app opens one (below). */
  store?: WitnessStateStore;
  /** PostgreSQL URL: several instances (one witness key) share it. */
  databaseUrl?: string;
  postgres?: { maxConnections?: number; statementTimeoutMs?: number };
  /** SQLite file when neither `store` nor `databaseUrl` is given (default ':memory:'). */
  dbPath?: string;
  /** pino level (default 'silent' for tests; main.ts passes the configured one). */
  logLevel?: string;
  logStream?: pino.DestinationStream;
  /** add-checkpoint requests per client address (default 100 at once, one more every 100 ms); false: none. */
  addCheckpointRateLimit?: RateLimit | false;
  /** Most addresses the in-memory limiter tracks (default 100 000; full: 429 for new ones). */
  rateLimiterMaxKeys?: number;
  /** Milliseconds, for the rate limits (default Date.now); the cosignature clock is `now`. */
  clock?: () => number;
  /** Largest add-checkpoint body, bytes (default 64 KiB; 63 proof lines and a checkpoint with many signatures fit). */
  bodyLimit?: number;
  /** Longest a request may take to arrive, ms (default 10 000): slow-loris bodies are cut off with 408. */
  requestTimeoutMs?: number;
  /** Reverse proxies whose X-Forwarded-For gives the client address (addresses, CIDRs, `loopback`…); default none. */
  trustProxy?: readonly string[];
  /** Metrics settings (kit runtime): `/metrics` on this port, sampling. */
  runtime?: Omit<RuntimeOptions, 'service' | 'ready'>;
}

async function openStore(options: WitnessServerOptions, log: FastifyBaseLogger): Promise<{ store: WitnessStateStore; owned: boolean }> {
  if (options.store !== undefined) return { store: options.store, owned: false };
  if (options.databaseUrl !== undefined) {
    const store = await PostgresWitnessStore.open({
      url: options.databaseUrl,
      ...options.postgres,
      onError: (err) => log.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'PostgreSQL connection lost'),
    });
    return { store, owned: true };
  }
  return { store: new WitnessStore(options.dbPath ?? ':memory:'), owned: true };
}

export async function buildWitnessServer(options: WitnessServerOptions): Promise<WitnessServer> {
  const logger: FastifyBaseLogger = pino(
    {
      level: options.logLevel ?? 'silent',
      base: { service: 'witness' },
      redact: { paths: ['req.remoteAddress', 'req.remotePort', 'req.headers', 'req.url', 'req.query', 'hostname', 'ip'], remove: true },
      serializers: {
        req: (req: { method?: string; routeOptions?: { url?: string } }) => ({ method: req.method, route: req.routeOptions?.url }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    options.logStream ?? pino.destination(1),
  );
  const { store, owned } = await openStore(options, logger);
  let witness: Witness;
  try {
    witness = new Witness({ ...options, store });
  } catch (e) {
    if (owned) await store.close();
    throw e;
  }
  const bodyLimit = options.bodyLimit ?? 64 * 1024;
  const requestTimeout = options.requestTimeoutMs ?? 10_000;
  const app = Fastify({
    loggerInstance: logger,
    // fastify's own request lines carry the client address and the full URL: ours carry the route pattern.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    requestTimeout,
    connectionTimeout: 60_000,
    keepAliveTimeout: 5_000,
    frameworkErrors,
    clientErrorHandler,
    trustProxy: trustProxyOption(options.trustProxy),
    // While closing (SIGTERM), requests on open connections are still served, not answered 503.
    return503OnClosing: false,
  }) as unknown as FastifyInstance;
  if (owned) app.addHook('onClose', async () => store.close());
  installErrorHandling(app);
  installRuntime(app, {
    service: 'witness',
    ready: () => store.ready(),
    ...(store instanceof PostgresWitnessStore ? { pool: () => store.pool } : {}),
    ...options.runtime,
  });
  app.addHook('onResponse', async (request, reply) => {
    // Method, route pattern, status and time only: never the client address, a checkpoint or a key.
    request.log.info({ method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
  });
  // tlog-witness clients may send the body with any (or no) content type: read it as text.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const limit = options.addCheckpointRateLimit ?? DEFAULT_ADD_CHECKPOINT_RATE_LIMIT;
  let limiter: AddressLimiter | undefined;
  if (limit !== false) {
    limiter = store instanceof PostgresWitnessStore ? new PgAddressLimiter(store.pool, limit) : new MemoryAddressLimiter(limit, options.rateLimiterMaxKeys);
    const clock = options.clock ?? Date.now;
    const pruner = setInterval(() => {
      void Promise.resolve(limiter!.prune(clock())).catch((err: Error) => app.log.warn({ err: { message: err.message } }, 'rate-limit prune failed'));
    }, 60_000);
    pruner.unref();
    app.addHook('onClose', async () => clearInterval(pruner));
  }
  witnessRoutes(app, { witness, store, logVkeys: options.logVkeys, limiter, clock: options.clock ?? Date.now, bodyLimit, bodyTimeoutMs: requestTimeout });
  return Object.assign(app, { witness, witnessStore: store });
}
