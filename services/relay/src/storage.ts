/**
 * Where the relay keeps its state, chosen at start-up: an injected store,
 * PostgreSQL (`database.url`; several instances may share it), or a SQLite
 * file (default ':memory:') watched by the disk guard. A PostgreSQL store
 * also holds the send budgets, so every instance charges the same buckets.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { RelayLimits } from './context.ts';
import { DiskGuard } from './disk-guard.ts';
import { MemoryBucketStore, type BucketStore } from './limits/bucket-store.ts';
import { PgBucketStore } from './limits/pg-bucket-store.ts';
import { PostgresEnvelopeStore, SqliteEnvelopeStore, type EnvelopeStore } from './store/index.ts';

/** PostgreSQL settings of the relay. */
export interface RelayDatabaseOptions {
  /** postgres://user@host:port/database */
  url: string;
  /** Most pooled connections per relay process (default 10). */
  poolSize?: number;
  /** Statement timeout, ms (default 5000; 0: none). */
  statementTimeoutMs?: number;
}

/** What `openStorage` is told (the matching fields of `RelayOptions`). */
export interface StorageChoice {
  store?: EnvelopeStore;
  database?: RelayDatabaseOptions;
  dbPath?: string;
  synchronous?: 'NORMAL' | 'FULL';
  limits: RelayLimits;
  /** The app's log, once it exists (disk and pool warnings). */
  log: () => FastifyBaseLogger | undefined;
}

/** The store, the send budgets and (for a SQLite file) the disk guard. */
export interface RelayStorage {
  store: EnvelopeStore;
  buckets: BucketStore;
  disk: DiskGuard | undefined;
}

export async function openStorage(choice: StorageChoice): Promise<RelayStorage> {
  const memoryBuckets = (): BucketStore => new MemoryBucketStore(choice.limits.rateLimitEntries);
  if (choice.store !== undefined) return { store: choice.store, buckets: memoryBuckets(), disk: undefined };
  if (choice.database !== undefined) {
    const store = await PostgresEnvelopeStore.open({
      url: choice.database.url,
      maxConnections: choice.database.poolSize ?? 10,
      statementTimeoutMs: choice.database.statementTimeoutMs ?? 5_000,
      onPoolError: (err) => choice.log()?.warn({ err: { message: err.message } }, 'idle PostgreSQL connection failed'),
    });
    return { store, buckets: new PgBucketStore(store.pool), disk: undefined };
  }
  const dbPath = choice.dbPath ?? ':memory:';
  let disk: DiskGuard | undefined;
  const sqlite = new SqliteEnvelopeStore({ path: dbPath, synchronous: choice.synchronous ?? 'NORMAL', onDiskFull: () => disk?.release() });
  if (dbPath !== ':memory:' && dbPath !== '') {
    const { limits } = choice;
    disk = new DiskGuard({
      dbPath,
      minFreeBytes: limits.minFreeDiskBytes,
      reserveBytes: limits.diskReserveBytes,
      checkMs: limits.diskCheckMs,
      reclaim: () => sqlite.reclaim(),
      onChange: (state) => choice.log()?.warn(state, state.low ? 'disk low: refusing new envelopes' : 'disk space recovered'),
    });
  }
  return { store: sqlite, buckets: memoryBuckets(), disk };
}
