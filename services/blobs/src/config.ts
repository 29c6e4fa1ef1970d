/**
 * Start-up configuration from `--flags` and `BLOBS_*` environment variables
 * (flags win), read with the service kit's loader.
 *
 * | flag                   | env                        | default            |
 * |------------------------|----------------------------|--------------------|
 * | --host                 | BLOBS_HOST                 | 127.0.0.1          |
 * | --port                 | BLOBS_PORT                 | 8083               |
 * | --dir                  | BLOBS_DIR                  | blobs              |
 * | --keyserver-public-key | BLOBS_KEYSERVER_PUBLIC_KEY | (required; base64 or @file, as the relay's) |
 * | --max-blob-bytes       | BLOBS_MAX_BLOB_BYTES       | 104857600 (100 MiB)|
 * | --blob-ttl-days        | BLOBS_BLOB_TTL_DAYS        | 30                 |
 * | --incomplete-ttl-hours | BLOBS_INCOMPLETE_TTL_HOURS | 24                 |
 * | --sweep-ms             | BLOBS_SWEEP_MS             | 600000             |
 * | --disk-cap-bytes       | BLOBS_DISK_CAP_BYTES       | 0 (no cap)         |
 * | --min-free-disk-bytes  | BLOBS_MIN_FREE_DISK_BYTES  | 67108864           |
 * | --database-url         | BLOBS_DATABASE_URL         | (none: one instance) |
 * | --log-level            | BLOBS_LOG_LEVEL            | info               |
 *
 * and the upload quotas, the previous key of a rotation
 * (`--keyserver-previous-public-key`, `--keyserver-previous-key-until`) and
 * the runtime settings (trusted proxies, metrics, shutdown): `--help` and
 * the README list them all. A JSON file (`--config` / `BLOBS_CONFIG`) may
 * hold any of them: flags > env > file > defaults.
 */
import {
  loadConfig as loadKitConfig,
  parseInstant,
  parseInteger,
  parsePort,
  parseRateLimit,
  parseRelayPublicKey,
  parseString,
  showRateLimit,
  type ConfigSpec,
} from '@sealpost/service-kit';
import { runtimeConfigSpec, serveOptionsOf, type ServeOptions } from '@sealpost/service-kit/runtime';
import { DEFAULT_BLOB_SETTINGS, type BlobSettings, type BucketLimit } from './settings.ts';

const uploadRate = DEFAULT_BLOB_SETTINGS.uploadRateLimit as BucketLimit;
const byteQuota = DEFAULT_BLOB_SETTINGS.uploadByteQuota as BucketLimit;
const uploadRateDefault = { burst: uploadRate.burst, refillMs: Math.round(1000 / uploadRate.perSecond) };

const count = parseInteger(0);

export const BLOBS_CONFIG_SPEC = {
  host: { parse: parseString, default: '127.0.0.1', description: 'interface to listen on' },
  port: { parse: parsePort, default: 8083, description: 'TCP port' },
  dir: { parse: parseString, default: 'blobs', description: 'directory the blobs are stored in' },
  keyserverPublicKey: { parse: parseRelayPublicKey, required: true, description: "key server's relay-credential public key (base64 or @file)" },
  maxBlobBytes: { parse: count, default: DEFAULT_BLOB_SETTINGS.maxBlobBytes, description: 'largest blob, bytes of ciphertext' },
  blobTtlDays: { parse: count, default: 30, description: 'how long a completed blob is kept, days' },
  incompleteTtlHours: { parse: count, default: 24, description: 'how long an unfinished upload may be resumed, hours' },
  sweepMs: { parse: count, default: DEFAULT_BLOB_SETTINGS.sweepIntervalMs, description: 'expiry sweep interval, ms (0: off)' },
  diskCapBytes: { parse: count, default: 0, description: 'most bytes stored at once (0: no cap); beyond it uploads get 507' },
  minFreeDiskBytes: { parse: count, default: DEFAULT_BLOB_SETTINGS.minFreeDiskBytes, description: 'uploads get 507 below this much free disk' },
  databaseUrl: { parse: parseString, description: 'PostgreSQL URL shared by several instances over one blob directory (write locks, quotas)' },
  uploadRateLimit: {
    parse: parseRateLimit,
    default: uploadRateDefault as { burst: number; refillMs: number } | false,
    showDefault: showRateLimit(uploadRateDefault),
    description: 'upload creations per device (quota subject) (<burst>/<refill ms>, or off)',
  },
  uploadQuotaBurstBytes: { parse: count, default: byteQuota.burst, description: 'upload bytes per device: burst (0: no byte quota)' },
  uploadQuotaBytesPerSecond: { parse: parseInteger(1), default: byteQuota.perSecond, description: 'upload bytes per device: refill, bytes per second' },
  quotaEntries: { parse: parseInteger(1), default: DEFAULT_BLOB_SETTINGS.quotaEntries, description: 'most per-device quota buckets kept in memory' },
  keyserverPreviousPublicKey: { parse: parseRelayPublicKey, description: "key rotation: the key server's previous public key (base64 or @file), accepted during the overlap" },
  keyserverPreviousKeyUntil: {
    parse: parseInstant,
    description: 'key rotation: end of the overlap (ms since the epoch or ISO 8601); after it the previous key is refused (default: accepted while configured)',
  },
  ...runtimeConfigSpec({ metricsPort: 9183 }),
  logLevel: { parse: parseString, default: 'info', description: 'pino log level' },
} satisfies ConfigSpec;

export interface BlobsStartConfig {
  host: string;
  port: number;
  directory: string;
  keyserverPublicKey: Uint8Array;
  /** Key rotation: the previous key and the end of the overlap (undefined: while configured). */
  keyserverPreviousPublicKey: Uint8Array | undefined;
  keyserverPreviousKeyUntil: number | undefined;
  settings: Partial<BlobSettings>;
  databaseUrl: string | undefined;
  trustProxy: string[];
  /** Listening, metrics and shutdown (service kit `serveService`). */
  serve: ServeOptions;
  logLevel: string;
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): BlobsStartConfig {
  const c = loadKitConfig(BLOBS_CONFIG_SPEC, { envPrefix: 'BLOBS_', argv, env });
  return {
    host: c.host,
    port: c.port,
    directory: c.dir,
    keyserverPublicKey: c.keyserverPublicKey,
    keyserverPreviousPublicKey: c.keyserverPreviousPublicKey,
    keyserverPreviousKeyUntil: c.keyserverPreviousKeyUntil,
    trustProxy: c.trustProxy,
    serve: serveOptionsOf(c),
    settings: {
      maxBlobBytes: c.maxBlobBytes,
      blobTtlMs: c.blobTtlDays * 24 * 3600_000,
      incompleteTtlMs: c.incompleteTtlHours * 3600_000,
      sweepIntervalMs: c.sweepMs,
      diskCapBytes: c.diskCapBytes === 0 ? Number.MAX_SAFE_INTEGER : c.diskCapBytes,
      minFreeDiskBytes: c.minFreeDiskBytes,
      uploadRateLimit: c.uploadRateLimit === false ? false : { burst: c.uploadRateLimit.burst, perSecond: 1000 / c.uploadRateLimit.refillMs },
      uploadByteQuota: c.uploadQuotaBurstBytes === 0 ? false : { burst: c.uploadQuotaBurstBytes, perSecond: c.uploadQuotaBytesPerSecond },
      quotaEntries: c.quotaEntries,
    },
    databaseUrl: c.databaseUrl,
    logLevel: c.logLevel,
  };
}
