/**
 * What several blob-service instances share besides the blob directory
 * (which they mount in common): PostgreSQL for the tus write locks and the
 * upload quotas. Opened from `--database-url`; without it the service keeps
 * both in process (one instance).
 *
 * The disk cap stays per instance (each recounts the shared directory at
 * every sweep and adds its own reservations between sweeps); the free-space
 * watermark is exact because every instance reads the one file system.
 */
import type pg from 'pg';
import { migratePostgres, openPgPool, PgTokenBuckets, pgTokenBucketTableSql, type PgMigration } from '@sealpost/service-kit/postgres';
import { PgAdvisoryLocker } from './pg-locker.ts';
import type { BlobSettings } from './settings.ts';
import { sharedQuota, type UploadQuota } from './upload-quota.ts';

/** The blob service's PostgreSQL schema. */
export const BLOBS_PG_MIGRATIONS: readonly PgMigration[] = [{ version: 1, name: 'shared upload quotas', up: pgTokenBucketTableSql('blobs_token_buckets') }];

/** Shared state handed to the plugin. */
export interface BlobSharedState {
  pool: pg.Pool;
  locker: PgAdvisoryLocker;
  quotas(settings: BlobSettings): { uploadRate: UploadQuota | undefined; uploadBytes: UploadQuota | undefined };
  close(): Promise<void>;
}

/** Connects, migrates (safe from several instances at once) and returns the shared locker and quotas. */
export async function openBlobSharedState(options: { url: string; maxConnections?: number; statementTimeoutMs?: number; onError?: (e: Error) => void }): Promise<BlobSharedState> {
  const pool = openPgPool({ url: options.url, maxConnections: options.maxConnections ?? 10, statementTimeoutMs: options.statementTimeoutMs, applicationName: 'sealpost-blobs' }, options.onError);
  try {
    await migratePostgres(pool, BLOBS_PG_MIGRATIONS, { component: 'blobs' });
  } catch (error) {
    await pool.end();
    throw error;
  }
  const buckets = new PgTokenBuckets(pool, 'blobs_token_buckets');
  return {
    pool,
    locker: new PgAdvisoryLocker(pool),
    quotas: (settings) => ({
      uploadRate: settings.uploadRateLimit === false ? undefined : sharedQuota(buckets, 'uploads', settings.uploadRateLimit),
      uploadBytes: settings.uploadByteQuota === false ? undefined : sharedQuota(buckets, 'upload-bytes', settings.uploadByteQuota),
    }),
    close: () => pool.end(),
  };
}
