/** @sealpost/relay: the sealed-envelope relay service. */
export { buildRelay, type RelayOptions } from './app.ts';
export { DEFAULT_LIMITS, type RelayLimits, type RelayContext } from './context.ts';
export { type CredentialVerifier, type AuthenticatedDevice, verifyRelayDevice } from './auth.ts';
export { cachingCredentialVerifier } from './credential-cache.ts';
export { RELAY_ERROR_CODES, relayError, type RelayErrorCode } from './errors.ts';
export { type DeviceDirectory, HttpDeviceDirectory, CachedDeviceDirectory } from './device-directory.ts';
export { checkDevices, devicesMatch, type DeviceEntry, type DeviceCheck } from './device-check.ts';
export { hashAccessKey, accessKeyMatches, parseAccessKey } from './access-key.ts';
export {
  SqliteEnvelopeStore,
  PostgresEnvelopeStore,
  QueueFullError,
  StorageFullError,
  CachedAccessKeys,
  type AccessKeyCacheOptions,
  type AccessKeyStore,
  type EnvelopeQueue,
  type EnvelopeStore,
  type StoredEnvelope,
  type PendingEnvelope,
  type QueuedEnvelope,
  type NewEnvelope,
  type SharedPayload,
  type SqliteStoreOptions,
  type PostgresStoreOptions,
} from './store/index.ts';
export { DeliveryHub, type DeliveryListener, type DeliveryNotifier, type RelayNoticeHandlers } from './delivery-hub.ts';
export { PostgresDeliveryNotifier, type NotifierStats, type PostgresNotifierOptions } from './notify/pg-delivery-notifier.ts';
export { openPostgresCluster, type PostgresClusterOptions } from './notify/postgres-cluster.ts';
export { decodeNotice, encodeNotice, type RelayNotice } from './notify/notice-codec.ts';
export { Mailboxes, mailboxKey, type MailboxExchange, type ProvisioningLimits } from './provisioning/mailboxes.ts';
export { PostgresMailboxExchange } from './provisioning/pg-mailbox-exchange.ts';
export { MemoryBucketStore, type BucketSpec, type BucketStore, type BucketTake } from './limits/bucket-store.ts';
export { PgBucketStore } from './limits/pg-bucket-store.ts';
export { openStorage, type RelayDatabaseOptions, type RelayStorage } from './storage.ts';
export { DEFAULT_DEVICE_AUTH_TTL_MS, DeviceAuthorizer, MAX_DEVICE_AUTH_TTL_MS, type DeviceStanding } from './device-authorizer.ts';
export { DEVICE_REVOKED_CLOSE_CODE } from './device-revocation.ts';
export { DEFAULT_REVALIDATE_MS } from './open-sockets.ts';
export { createRelayLogger, type RelayLogOptions } from './logger.ts';
export { loadConfig, parseRelayPublicKey, RELAY_CONFIG_SPEC, type RelayStartConfig } from './config.ts';
