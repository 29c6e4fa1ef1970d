/** The relay's storage: the async seam, its SQLite and PostgreSQL implementations, and the opt-in access-key cache. */
export {
  QueueFullError,
  StorageFullError,
  type AccessKeyStore,
  type EnvelopeQueue,
  type EnvelopeStore,
  type NewEnvelope,
  type PendingEnvelope,
  type QueuedEnvelope,
  type QueueStats,
  type StorePool,
  type SharedPayload,
  type StoredEnvelope,
} from './envelope-store.ts';
export { deliveredSize } from './envelope-batch.ts';
export { SqliteEnvelopeStore, type SqliteStoreOptions } from './sqlite-envelope-store.ts';
export { PostgresEnvelopeStore, type PostgresStoreOptions } from './postgres-envelope-store.ts';
export { CachedAccessKeys, type AccessKeyCacheOptions } from './access-key-cache.ts';
