/**
 * Start-up configuration from `--flags` and `RELAY_*` environment variables
 * (flags win), read with the service kit's loader. Every value has a default
 * except the key server's URL and relay-credential public key, which the
 * relay cannot work without.
 *
 * | flag                      | env                           | default        |
 * |---------------------------|-------------------------------|----------------|
 * | --host                    | RELAY_HOST                    | 127.0.0.1      |
 * | --port                    | RELAY_PORT                    | 8081           |
 * | --db                      | RELAY_DB                      | relay.sqlite   |
 * | --database-url            | RELAY_DATABASE_URL            | (none: SQLite; set: PostgreSQL, postgres://…) |
 * | --database-pool-size      | RELAY_DATABASE_POOL_SIZE      | 10             |
 * | --database-statement-timeout-ms | RELAY_DATABASE_STATEMENT_TIMEOUT_MS | 5000 (0: none) |
 * | --synchronous             | RELAY_SYNCHRONOUS             | NORMAL         |
 * | --keyserver-url           | RELAY_KEYSERVER_URL           | (required)     |
 * | --keyserver-public-key    | RELAY_KEYSERVER_PUBLIC_KEY    | (required; base64, or @path to a file holding it or the key server's relay-credential key JSON) |
 * | --public-origin           | RELAY_PUBLIC_ORIGIN           | http://<host>:<port> (the audience credentials must name) |
 * | --device-cache-ttl-ms     | RELAY_DEVICE_CACHE_TTL_MS     | 5000           |
 * | --device-auth-ttl-ms      | RELAY_DEVICE_AUTH_TTL_MS      | 1000 (≤ 2000)  |
 * | --device-revalidate-ms    | RELAY_DEVICE_REVALIDATE_MS    | 1000           |
 * | --access-key-cache-ttl-ms | RELAY_ACCESS_KEY_CACHE_TTL_MS | 0 (off)        |
 * | --message-ttl-seconds     | RELAY_MESSAGE_TTL_SECONDS     | 604800 (7 d)   |
 * | --max-envelope-bytes      | RELAY_MAX_ENVELOPE_BYTES      | 262144         |
 * | --max-queue-depth         | RELAY_MAX_QUEUE_DEPTH         | 10000          |
 * | --expiry-sweep-ms         | RELAY_EXPIRY_SWEEP_MS         | 60000          |
 * | --keyserver-timeout-ms    | RELAY_KEYSERVER_TIMEOUT_MS    | 2000           |
 * | --log-level               | RELAY_LOG_LEVEL               | info           |
 * | --cors-origins            | RELAY_CORS_ORIGINS            | none (browser origins allowed by CORS and on the WebSocket upgrade) |
 *
 * Every other field of `RelayLimits` (queue bytes, WebSocket window, buffer,
 * connection and frame limits, heartbeat, batch and fan-out sizes, send
 * budgets, disk watermark) is read the same way: `--ws-max-connections` /
 * `RELAY_WS_MAX_CONNECTIONS`, and so on; defaults are `DEFAULT_LIMITS`,
 * listed in the README ("Limits"); so are the provisioning-mailbox bounds,
 * the credential cache, the previous key of a rotation
 * (`--keyserver-previous-public-key`, `--keyserver-previous-key-until`) and
 * the runtime settings (trusted proxies, metrics, shutdown). A JSON file
 * (`--config` / `RELAY_CONFIG`) may hold any of them: flags > env > file.
 */
import {
  ConfigError,
  CORS_ORIGINS_OPTION,
  loadConfig as loadKitConfig,
  parseInstant,
  parseInteger,
  parseOneOf,
  parsePort,
  parseRelayPublicKey,
  parseString,
  type ConfigSpec,
} from '@sealpost/service-kit';
import { runtimeConfigSpec, serveOptionsOf, type ServeOptions } from '@sealpost/service-kit/runtime';
import { DEFAULT_LIMITS, type RelayLimits } from './context.ts';
import { DEFAULT_PROVISIONING_LIMITS, type ProvisioningLimits } from './routes/provisioning.ts';
import { DEFAULT_DEVICE_AUTH_TTL_MS, MAX_DEVICE_AUTH_TTL_MS } from './device-authorizer.ts';
import { DEFAULT_REVALIDATE_MS } from './open-sockets.ts';
import type { RelayDatabaseOptions } from './storage.ts';

/** Resolved start-up configuration. */
export interface RelayStartConfig {
  host: string;
  port: number;
  dbPath: string;
  synchronous: 'NORMAL' | 'FULL';
  /** PostgreSQL instead of the SQLite file, when `--database-url` is given. */
  database: RelayDatabaseOptions | undefined;
  keyserverUrl: string;
  keyserverPublicKey: Uint8Array;
  /** Key rotation: the key server's previous public key, accepted until `keyserverPreviousKeyUntil` (ms; undefined: while configured). */
  keyserverPreviousPublicKey: Uint8Array | undefined;
  keyserverPreviousKeyUntil: number | undefined;
  /** Verified credentials remembered (0: verify every request). */
  credentialCacheSize: number;
  /** Provisioning-mailbox bounds. */
  provisioning: ProvisioningLimits;
  /** Reverse proxies whose X-Forwarded-For is believed. */
  trustProxy: string[];
  /** Listening, metrics and shutdown (service kit `serveService`), host and port included. */
  serve: ServeOptions;
  /** The audience relay credentials must name; undefined: the origin the relay listens on. */
  publicOrigin: string | undefined;
  deviceCacheTtlMs: number;
  deviceAuthTtlMs: number;
  deviceRevalidateMs: number;
  accessKeyCacheTtlMs: number;
  messageTtlMs: number;
  maxEnvelopeBytes: number;
  maxQueueDepth: number;
  expirySweepMs: number;
  keyserverTimeoutMs: number;
  /** Every limit of `RelayLimits` (the three above included). */
  limits: RelayLimits;
  logLevel: string;
  /** Browser origins allowed by CORS and on the WebSocket upgrade (empty: none). */
  corsOrigins: string[];
}

/** The limits read from the configuration (see `RelayLimits` for each). */
const TUNABLE_LIMITS = [
  'maxQueueBytes',
  'maxPollBytes',
  'wsWindowBytes',
  'wsMaxBufferedBytes',
  'wsLargeFrameBudgetBytes',
  'wsMaxConnections',
  'wsMaxFrameBytes',
  'wsMaxAckIds',
  'wsFramesPerSecond',
  'wsFrameBurst',
  'recipientSourceBurst',
  'recipientSourcePerHour',
  'recipientSourceBytesBurst',
  'recipientSourceBytesPerHour',
  'sourceBurst',
  'sourcePerSecond',
  'sourceBytesBurst',
  'sourceBytesPerSecond',
  'rateLimitEntries',
  'minFreeDiskBytes',
  'diskReserveBytes',
  'diskCheckMs',
  'retryAfterSeconds',
  'maxBatch',
  'maxDevicesPerSend',
  'maxRecipientsPerSend',
  'wsHeartbeatMs',
] as const satisfies ReadonlyArray<keyof RelayLimits>;

export { parseRelayPublicKey };

const count = parseInteger(0);

/**
 * Refuses a database URL that is not postgres:// or postgresql://, without
 * echoing it (it may carry a password).
 */
function checkPostgresUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let protocol: string | undefined;
  try {
    protocol = new URL(text).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new ConfigError('--database-url / RELAY_DATABASE_URL: expected a postgres://user@host:port/database URL');
  }
  return text;
}

/** The relay's settings, as the kit loader reads them (`RELAY_` + upper snake case, `--` + kebab case). */
export const RELAY_CONFIG_SPEC = {
  host: { parse: parseString, default: '127.0.0.1', description: 'interface to listen on' },
  port: { parse: parsePort, default: 8081, description: 'TCP port' },
  db: { parse: parseString, default: 'relay.sqlite', description: 'SQLite file' },
  synchronous: { parse: parseOneOf(['NORMAL', 'FULL'] as const), default: 'NORMAL' as 'NORMAL' | 'FULL', description: 'SQLite synchronous mode' },
  databaseUrl: { parse: parseString, description: 'PostgreSQL connection URL (postgres://user@host:port/db); when set, the relay stores everything there instead of --db' },
  databasePoolSize: { parse: parseInteger(1, 1000), default: 10, description: 'PostgreSQL: most pooled connections per relay process' },
  databaseStatementTimeoutMs: { parse: count, default: 5000, description: 'PostgreSQL: statement timeout, ms (0: none)' },
  keyserverUrl: { parse: parseString, required: true, description: 'base URL of the key server' },
  keyserverPublicKey: { parse: parseRelayPublicKey, required: true, description: "key server's relay-credential public key (base64 or @file)" },
  publicOrigin: { parse: parseString, description: "this relay's origin as clients address it (the relay-credential audience); default http://<host>:<port>" },
  deviceCacheTtlMs: { parse: count, default: 5000, description: "how long a device list is trusted for checking a sender's device set, ms" },
  deviceAuthTtlMs: {
    parse: parseInteger(0, MAX_DEVICE_AUTH_TTL_MS),
    default: DEFAULT_DEVICE_AUTH_TTL_MS,
    description: `how long a device list may authorize a credential, ms (at most ${MAX_DEVICE_AUTH_TTL_MS})`,
  },
  deviceRevalidateMs: { parse: count, default: DEFAULT_REVALIDATE_MS, description: "how often open WebSockets' devices are rechecked, ms (0: never)" },
  accessKeyCacheTtlMs: { parse: count, default: 0, description: 'access-key cache TTL, ms (0: off)' },
  messageTtlSeconds: { parse: count, default: DEFAULT_LIMITS.messageTtlMs / 1000, description: 'how long an unacknowledged envelope is kept, s' },
  maxEnvelopeBytes: { parse: count, default: DEFAULT_LIMITS.maxEnvelopeBytes, description: 'largest envelope accepted, bytes' },
  maxQueueDepth: { parse: count, default: DEFAULT_LIMITS.maxQueueDepth, description: 'most envelopes queued per device' },
  expirySweepMs: { parse: count, default: 60_000, description: 'expiry sweep interval, ms (0: off)' },
  keyserverTimeoutMs: { parse: parseInteger(1), default: 2000, description: 'device-list request timeout, ms (then 503)' },
  maxQueueBytes: { parse: count, default: DEFAULT_LIMITS.maxQueueBytes, description: 'most envelope bytes queued per device' },
  maxPollBytes: { parse: count, default: DEFAULT_LIMITS.maxPollBytes, description: 'most envelope bytes in one poll response' },
  wsWindowBytes: { parse: count, default: DEFAULT_LIMITS.wsWindowBytes, description: 'WebSocket: envelope bytes in flight per connection' },
  wsMaxBufferedBytes: { parse: count, default: DEFAULT_LIMITS.wsMaxBufferedBytes, description: 'WebSocket: pushing pauses above this many buffered bytes per socket' },
  wsLargeFrameBudgetBytes: { parse: count, default: DEFAULT_LIMITS.wsLargeFrameBudgetBytes, description: 'WebSocket: relay-wide bytes of unflushed frames larger than the buffer bound' },
  wsMaxConnections: { parse: count, default: DEFAULT_LIMITS.wsMaxConnections, description: 'WebSocket: most open connections per process' },
  wsMaxFrameBytes: { parse: count, default: DEFAULT_LIMITS.wsMaxFrameBytes, description: 'WebSocket: largest client frame, bytes' },
  wsMaxAckIds: { parse: count, default: DEFAULT_LIMITS.wsMaxAckIds, description: 'WebSocket: most ids in one ack frame' },
  wsFramesPerSecond: { parse: count, default: DEFAULT_LIMITS.wsFramesPerSecond, description: 'WebSocket: client frames per second per connection (plus one per pushed envelope)' },
  wsFrameBurst: { parse: count, default: DEFAULT_LIMITS.wsFrameBurst, description: 'WebSocket: client frame burst per connection' },
  recipientSourceBurst: { parse: count, default: DEFAULT_LIMITS.recipientSourceBurst, description: 'sends per (recipient, source): burst, envelopes' },
  recipientSourcePerHour: { parse: count, default: DEFAULT_LIMITS.recipientSourcePerHour, description: 'sends per (recipient, source): refill per hour' },
  recipientSourceBytesBurst: { parse: count, default: DEFAULT_LIMITS.recipientSourceBytesBurst, description: 'sends per (recipient, source): burst, bytes' },
  recipientSourceBytesPerHour: { parse: count, default: DEFAULT_LIMITS.recipientSourceBytesPerHour, description: 'sends per (recipient, source): refill, bytes per hour' },
  sourceBurst: { parse: count, default: DEFAULT_LIMITS.sourceBurst, description: 'sends per source: burst, envelopes' },
  sourcePerSecond: { parse: count, default: DEFAULT_LIMITS.sourcePerSecond, description: 'sends per source: refill per second' },
  sourceBytesBurst: { parse: count, default: DEFAULT_LIMITS.sourceBytesBurst, description: 'sends per source: burst, bytes' },
  sourceBytesPerSecond: { parse: count, default: DEFAULT_LIMITS.sourceBytesPerSecond, description: 'sends per source: refill, bytes per second' },
  rateLimitEntries: { parse: count, default: DEFAULT_LIMITS.rateLimitEntries, description: 'most rate-limit buckets in memory, per kind' },
  minFreeDiskBytes: { parse: count, default: DEFAULT_LIMITS.minFreeDiskBytes, description: 'refuse new envelopes (507) below this much free disk, bytes' },
  diskReserveBytes: { parse: count, default: DEFAULT_LIMITS.diskReserveBytes, description: 'reserve file released when the disk fills, bytes' },
  diskCheckMs: { parse: count, default: DEFAULT_LIMITS.diskCheckMs, description: 'free-space check interval, ms' },
  retryAfterSeconds: { parse: count, default: DEFAULT_LIMITS.retryAfterSeconds, description: 'Retry-After of 503 answers, s' },
  maxBatch: { parse: parseInteger(1), default: DEFAULT_LIMITS.maxBatch, description: 'most envelopes in one poll / in flight on one WebSocket' },
  maxDevicesPerSend: { parse: parseInteger(1, 127), default: DEFAULT_LIMITS.maxDevicesPerSend, description: 'most devices one single-recipient send may address' },
  maxRecipientsPerSend: { parse: parseInteger(1), default: DEFAULT_LIMITS.maxRecipientsPerSend, description: 'most recipients in one multi-recipient send' },
  wsHeartbeatMs: { parse: parseInteger(1000), default: DEFAULT_LIMITS.wsHeartbeatMs, description: 'WebSocket: ping interval; a peer missing a whole interval is dropped, ms' },
  credentialCacheSize: { parse: count, default: 10_000, description: 'verified relay credentials remembered (0: verify the signature on every request)' },
  keyserverPreviousPublicKey: { parse: parseRelayPublicKey, description: "key rotation: the key server's previous credential public key (base64 or @file), accepted during the overlap" },
  keyserverPreviousKeyUntil: {
    parse: parseInstant,
    description: 'key rotation: end of the overlap (ms since the epoch or ISO 8601); after it the previous key is refused (default: accepted while configured)',
  },
  provisioningTtlMs: { parse: parseInteger(1), default: DEFAULT_PROVISIONING_LIMITS.ttlMs, description: 'provisioning mailbox lifetime, ms' },
  provisioningMaxMailboxes: { parse: count, default: DEFAULT_PROVISIONING_LIMITS.maxMailboxes, description: 'most open provisioning mailboxes in this process' },
  provisioningMaxMailboxesPerAddress: { parse: count, default: DEFAULT_PROVISIONING_LIMITS.maxMailboxesPerAddress, description: 'most open provisioning mailboxes per client address (IPv6 /64)' },
  provisioningMaxMessageBytes: { parse: parseInteger(1), default: DEFAULT_PROVISIONING_LIMITS.maxMessageBytes, description: 'largest provisioning message, bytes' },
  ...runtimeConfigSpec({ metricsPort: 9181 }),
  logLevel: { parse: parseString, default: 'info', description: 'pino log level' },
  corsOrigins: CORS_ORIGINS_OPTION,
} satisfies ConfigSpec;

/** Parses flags and environment; throws a readable `ConfigError` on bad values. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): RelayStartConfig {
  const c = loadKitConfig(RELAY_CONFIG_SPEC, { envPrefix: 'RELAY_', argv, env });
  const databaseUrl = checkPostgresUrl(c.databaseUrl);
  return {
    host: c.host,
    port: c.port,
    dbPath: c.db,
    synchronous: c.synchronous,
    database: databaseUrl === undefined ? undefined : { url: databaseUrl, poolSize: c.databasePoolSize, statementTimeoutMs: c.databaseStatementTimeoutMs },
    keyserverUrl: c.keyserverUrl,
    keyserverPublicKey: c.keyserverPublicKey,
    keyserverPreviousPublicKey: c.keyserverPreviousPublicKey,
    keyserverPreviousKeyUntil: c.keyserverPreviousKeyUntil,
    credentialCacheSize: c.credentialCacheSize,
    provisioning: {
      ttlMs: c.provisioningTtlMs,
      maxMailboxes: c.provisioningMaxMailboxes,
      maxMailboxesPerAddress: c.provisioningMaxMailboxesPerAddress,
      maxMessageBytes: c.provisioningMaxMessageBytes,
    },
    trustProxy: c.trustProxy,
    serve: serveOptionsOf(c),
    publicOrigin: c.publicOrigin,
    deviceCacheTtlMs: c.deviceCacheTtlMs,
    deviceAuthTtlMs: c.deviceAuthTtlMs,
    deviceRevalidateMs: c.deviceRevalidateMs,
    accessKeyCacheTtlMs: c.accessKeyCacheTtlMs,
    messageTtlMs: c.messageTtlSeconds * 1000,
    maxEnvelopeBytes: c.maxEnvelopeBytes,
    maxQueueDepth: c.maxQueueDepth,
    expirySweepMs: c.expirySweepMs,
    keyserverTimeoutMs: c.keyserverTimeoutMs,
    limits: {
      ...DEFAULT_LIMITS,
      ...Object.fromEntries(TUNABLE_LIMITS.map((k) => [k, c[k]])),
      messageTtlMs: c.messageTtlSeconds * 1000,
      maxEnvelopeBytes: c.maxEnvelopeBytes,
      maxQueueDepth: c.maxQueueDepth,
    },
    logLevel: c.logLevel,
    corsOrigins: c.corsOrigins,
  };
}
