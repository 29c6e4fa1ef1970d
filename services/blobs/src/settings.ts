/** The blob service's tunables, with defaults after Signal where it has one. */

const DAY = 24 * 60 * 60 * 1000;

/** A token bucket: `burst` units, refilled at `perSecond` units per second. */
export interface BucketLimit {
  burst: number;
  perSecond: number;
}

export interface BlobSettings {
  /** Largest blob (ciphertext bytes) accepted (default 100 MiB, Signal's). */
  maxBlobBytes: number;
  /** How long a completed blob is served, from its completion (default 30 days). */
  blobTtlMs: number;
  /** How long an incomplete upload may be resumed (default 24 h). */
  incompleteTtlMs: number;
  /** Expiry sweep interval (default 10 min; 0 = never, call `sweep()` yourself). */
  sweepIntervalMs: number;
  /** Upload creations per device (quota subject): 50 burst, 1 per 1.2 s (Signal's attachmentCreate). */
  uploadRateLimit: BucketLimit | false;
  /** Bytes per device: 1 GiB burst, refilled at 1 MiB/s (Signal's attachmentCreateBytes). */
  uploadByteQuota: BucketLimit | false;
  /** Most bytes stored at once (reserved at creation); beyond it creations get 507. Default: unlimited. */
  diskCapBytes: number;
  /** Creations also get 507 when the file system has less than this free (default 64 MiB). */
  minFreeDiskBytes: number;
  /** Most per-device quota buckets kept in memory, per kind (default 100 000). */
  quotaEntries: number;
}

export const DEFAULT_BLOB_SETTINGS: BlobSettings = {
  maxBlobBytes: 100 * 1024 * 1024,
  blobTtlMs: 30 * DAY,
  incompleteTtlMs: DAY,
  sweepIntervalMs: 10 * 60 * 1000,
  uploadRateLimit: { burst: 50, perSecond: 1 / 1.2 },
  uploadByteQuota: { burst: 1024 * 1024 * 1024, perSecond: 1024 * 1024 },
  diskCapBytes: Number.MAX_SAFE_INTEGER,
  minFreeDiskBytes: 64 * 1024 * 1024,
  quotaEntries: 100_000,
};
