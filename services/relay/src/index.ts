/** @sealpost/relay: the sealed-envelope relay service. */
export { buildRelay, type RelayOptions } from './app.ts';
export { DEFAULT_LIMITS, type RelayLimits, type RelayContext } from './context.ts';
export { type CredentialVerifier, type AuthenticatedDevice } from './auth.ts';
export { type DeviceDirectory, HttpDeviceDirectory, CachedDeviceDirectory } from './device-directory.ts';
export { checkDevices, devicesMatch, type DeviceEntry, type DeviceCheck } from './device-check.ts';
export { deriveAccessKey, hashAccessKey, ACCESS_KEY_LENGTH } from './access-key.ts';
export { SqliteEnvelopeStore, QueueFullError, type EnvelopeStore, type StoredEnvelope, type NewEnvelope } from './store.ts';
export { createRelayLogger, type RelayLogOptions } from './logger.ts';
export { WriteBatcher } from './write-batcher.ts';
export { loadConfig, type RelayStartConfig } from './config.ts';
