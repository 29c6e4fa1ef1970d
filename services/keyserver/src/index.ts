/**
 * @sealpost/keyserver — accounts, devices, prekey bundles, rotation, sender
 * certificates and relay credentials over HTTP (Fastify + SQLite or PostgreSQL).
 */
export { buildKeyServer, REDACTED_LOG_PATHS, type KeyServerOptions } from './app.ts';
export { DEFAULT_SETTINGS, type KeyServerSettings } from './config.ts';
export { basicAuthHeader, type AuthenticatedDevice } from './auth.ts';
export { DEVICE_SECRET_LENGTH, hashDeviceSecret } from './device-secret.ts';
export { KeyServerError, type KeyServerErrorCode } from './errors.ts';
export { longTermKeyDigest, type LongTermKeys } from './key-digest.ts';
export { RateLimiter, type RateDecision, type RateLimit, type RateLimitStore } from './rate-limiter.ts';
export { clientAddressKey } from './client-address.ts';
export { signRegistrationToken, type RegistrationGateSettings, type RegistrationTokenClaims } from './registration-gate.ts';
export { solveProofOfWork } from './proof-of-work.ts';
// The relay-credential format lives in @sealpost/protocol; re-exported for the key server's users.
export {
  generateRelayCredentialKeyPair,
  relayCredentialVerifier,
  signRelayCredential,
  verifyRelayCredential,
  type RelayCredential,
  type RelayCredentialKeyPair,
} from '@sealpost/protocol';
export { RelayCredentialIssuer } from './relay-credential-issuer.ts';
export { SenderCertificateIssuer } from './sender-certificates.ts';
export { DEFAULT_ATTACHMENT_FORM_SETTINGS, UploadCapabilityIssuer, type AttachmentFormSettings } from './upload-capability-issuer.ts';
export type { KeyStore } from './store/key-store.ts';
export { SqliteKeyStore, type SqliteKeyStoreOptions } from './store/sqlite-key-store.ts';
export { MIGRATIONS, migrate } from './store/migrations.ts';
export { PostgresKeyStore, type PostgresKeyStoreOptions } from './store/pg-key-store.ts';
export { PG_COMPONENT, PG_MIGRATIONS } from './store/pg-migrations.ts';
export * from './key-files.ts';
