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
 */
import { loadConfig as loadKitConfig, parseInteger, parsePort, parseRelayPublicKey, parseString, type ConfigSpec } from '@sealpost/service-kit';
import { DEFAULT_BLOB_SETTINGS, type BlobSettings } from './settings.ts';

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
  logLevel: { parse: parseString, default: 'info', description: 'pino log level' },
} satisfies ConfigSpec;

export interface BlobsStartConfig {
  host: string;
  port: number;
  directory: string;
  keyserverPublicKey: Uint8Array;
  settings: Partial<BlobSettings>;
  databaseUrl: string | undefined;
  logLevel: string;
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): BlobsStartConfig {
  const c = loadKitConfig(BLOBS_CONFIG_SPEC, { envPrefix: 'BLOBS_', argv, env });
  return {
    host: c.host,
    port: c.port,
    directory: c.dir,
    keyserverPublicKey: c.keyserverPublicKey,
    settings: {
      maxBlobBytes: c.maxBlobBytes,
      blobTtlMs: c.blobTtlDays * 24 * 3600_000,
      incompleteTtlMs: c.incompleteTtlHours * 3600_000,
      sweepIntervalMs: c.sweepMs,
      diskCapBytes: c.diskCapBytes === 0 ? Number.MAX_SAFE_INTEGER : c.diskCapBytes,
      minFreeDiskBytes: c.minFreeDiskBytes,
    },
    databaseUrl: c.databaseUrl,
    logLevel: c.logLevel,
  };
}
