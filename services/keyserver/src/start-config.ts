/**
 * What `main.ts` reads from its flags, `KEYSERVER_*` variables and optional
 * config file (`--config file.json` / `KEYSERVER_CONFIG`; the kit's loader:
 * flags > environment > file > defaults). `sealpost-keyserver --help`
 * lists every setting with its default; the README's option table is the
 * same list. Every limit of `KeyServerSettings` (config.ts) and of the
 * attachment forms is a setting here, with the same default.
 *
 * Rate limits are written `<burst>/<refill ms>` (6/600000: six at once, then
 * one every ten minutes) or `off`.
 */
import { fromBase64 } from '@sealpost/protocol/primitives';
import {
  CORS_ORIGINS_OPTION,
  ConfigError,
  configUsage,
  loadConfig,
  parseBoolean,
  parseInteger,
  parseList,
  parseOneOf,
  parsePort,
  parseRateLimit,
  parseString,
  showRateLimit,
  type Config,
  type ConfigSpec,
} from '@sealpost/service-kit';
import { runtimeConfigSpec } from '@sealpost/service-kit/runtime';
import { parseAddressRanges } from './client-address.ts';
import { DEFAULT_SETTINGS, type KeyServerSettings } from './config.ts';
import type { RegistrationGateSettings } from './registration-gate.ts';
import { DEFAULT_ATTACHMENT_FORM_SETTINGS, type AttachmentFormSettings } from './upload-capability-issuer.ts';
import { parseKtSecret, parseWitnessList } from './kt/kt-config.ts';

function parseKtOrigin(text: string): string {
  if (!/^[^\s+/]+\/sealpost-kt\/[0-9a-f]{16}$/.test(text)) throw new Error('must be <host>/sealpost-kt/<16 lowercase hex digits>');
  return text;
}

function parseEd25519Keys(text: string): Uint8Array[] {
  const keys = parseList(text).map((k) => fromBase64(k));
  if (keys.length === 0 || keys.some((k) => k.length !== 32)) throw new Error('must be base64 raw 32-byte Ed25519 public keys, comma-separated');
  return keys;
}

function parseCidrs(text: string): string[] {
  const list = parseList(text);
  parseAddressRanges(list);
  return list;
}

function parsePostgresUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('must be a postgres:// or postgresql:// URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new Error('must be a postgres:// or postgresql:// URL');
  return text;
}
const count = parseInteger(0);
const positive = parseInteger(1);
const D = DEFAULT_SETTINGS;
const F = DEFAULT_ATTACHMENT_FORM_SETTINGS;
const rate = (limit: { burst: number; refillMs: number } | false, description: string) => ({
  parse: parseRateLimit,
  default: limit,
  showDefault: showRateLimit(limit),
  description: `${description} (<burst>/<refill ms>, or off)`,
});

/** The limits and lifetimes (config.ts, upload-capability-issuer.ts, registration-gate.ts) as settings. */
const SETTINGS_SPEC = {
  maxDevices: { parse: parseInteger(1, 127), default: D.maxDevices, description: 'devices per account, primary included' },
  maxOneTimeKeysPerDevice: { parse: positive, default: D.maxOneTimeKeysPerDevice, description: 'one-time keys of each kind a device may hold' },
  bundleRateLimit: rate(D.bundleRateLimit, 'bundle fetches per (requester device, target account)'),
  bundleTargetBudget: rate(D.bundleTargetBudget, 'one-time keys handed out per target device, all requesters together'),
  rateLimiterMaxKeys: { parse: positive, default: D.rateLimiterMaxKeys, description: 'most buckets one in-memory rate limiter tracks (full: 429)' },
  registrationRateLimit: rate(D.registrationRateLimit, 'account creations and device links per client address (IPv6 /64)'),
  keyUploadRateLimit: rate(D.keyUploadRateLimit, 'key uploads per device'),
  senderCertificateRateLimit: rate(D.senderCertificateRateLimit, 'sender-certificate requests per device'),
  deviceListRateLimit: rate(D.deviceListRateLimit, 'device-list fetches per client address or device'),
  provisioningCodeTtlMs: { parse: positive, default: D.provisioningCodeTtlMs, description: 'lifetime of a provisioning code, ms' },
  maxProvisioningCodes: { parse: positive, default: D.maxProvisioningCodes, description: 'most unused provisioning codes per account' },
  staleKeyAgeMs: { parse: positive, default: D.staleKeyAgeMs, description: 'age after which a signed prekey or last-resort key is reported stale, ms' },
  replacedKeyGraceMs: { parse: count, default: D.replacedKeyGraceMs, description: 'how long replaced signed / last-resort keys are kept, ms' },
  senderCertificateTtlMs: { parse: positive, default: D.senderCertificateTtlMs, description: 'lifetime of sender certificates, ms' },
  senderCertificateReuseMarginMs: { parse: count, default: D.senderCertificateReuseMarginMs, description: 'a cached sender certificate is re-issued once less than this is left of it, ms' },
  relayCredentialTtlMs: { parse: positive, default: D.relayCredentialTtlMs, description: 'lifetime of relay credentials, ms' },
  ktSearchRateLimit: rate(D.ktSearchRateLimit, 'key-transparency searches, checkpoint/tile reads and handle lookups per client address (IPv6 /64)'),
  bodyLimit: { parse: positive, default: D.bodyLimit, description: 'largest request body, bytes' },
  pruneIntervalMs: { parse: count, default: D.pruneIntervalMs, description: 'how often replaced keys and expired codes are pruned, ms (0: never)' },
  attachmentMaxBytes: { parse: positive, default: F.maxUploadBytes, description: 'largest attachment an upload form is issued for, bytes of ciphertext' },
  attachmentCapabilityTtlMs: { parse: positive, default: F.capabilityTtlMs, description: 'lifetime of an upload capability (the resume window), ms' },
  attachmentFormRateLimit: rate(F.formRateLimit, 'attachment forms per device'),
  registrationTokenMaxLifetimeMs: { parse: positive, default: 60 * 60_000, description: 'longest lifetime a registration token may have (--registration-gate token), ms' },
  registrationPowChallengeTtlMs: { parse: positive, default: 5 * 60_000, description: 'lifetime of a proof-of-work challenge (--registration-gate proof-of-work), ms' },
} as const;

/** The prefix of the key server's environment variables. */
export const KEYSERVER_ENV_PREFIX = 'KEYSERVER_';

/** The key server's start-up settings. */
export const KEYSERVER_START_SPEC = {
  host: { parse: parseString, default: '127.0.0.1', description: 'address to listen on' },
  port: { parse: parsePort, default: 8080, description: 'TCP port (0: any free port)' },
  db: { parse: parseString, default: 'keyserver.db', description: "SQLite file (':memory:' for a throwaway server)" },
  serverCertificate: { parse: parseString, description: 'server-certificate.json (enables sender certificates)' },
  relayKey: { parse: parseString, description: 'relay-credential-key.json (enables relay credentials)' },
  relayAudiences: { parse: parseString, description: 'comma-separated relay origins relay credentials may be issued for (default: any)' },
  logLevel: {
    parse: parseOneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    description: 'pino log level',
  },
  logClientDetails: { parse: parseBoolean, default: false, description: 'log client addresses and full URLs (debugging only: pairs IPs with the accounts they look up)' },
  registrationGate: {
    parse: parseOneOf(['off', 'token', 'proof-of-work']),
    default: 'off',
    description: 'account-creation gate: off, token (signed by the app backend) or proof-of-work',
  },
  registrationTokenKeys: { parse: parseEd25519Keys, description: 'app backend Ed25519 public keys (base64, comma-separated) for --registration-gate token' },
  registrationPowDifficulty: { parse: parseInteger(1, 40), default: 20, description: 'leading zero bits for --registration-gate proof-of-work' },
  deviceListTrustedAddresses: {
    parse: parseCidrs,
    default: ['127.0.0.0/8', '::1/128'],
    description: 'client addresses (CIDR, comma-separated) exempt from the device-list rate limit: the relays',
  },
  databaseUrl: {
    parse: parsePostgresUrl,
    description: 'PostgreSQL URL (postgres://user@host:port/db) instead of the SQLite file --db; several instances may share it',
  },
  databasePoolSize: { parse: parseInteger(1, 1000), description: 'PostgreSQL connections per instance (default 10)' },
  databaseStatementTimeoutMs: { parse: parseInteger(0, 3_600_000), description: 'PostgreSQL statement timeout in ms (default 5000; 0 = none)' },
  ktVrfKey: { parse: parseKtSecret, description: 'key transparency: the 32-byte ECVRF secret key (base64, or @file holding it); KT is off without it' },
  ktLogKey: { parse: parseKtSecret, description: 'key transparency: the 32-byte Ed25519 checkpoint note key (base64, or @file holding it)' },
  ktOrigin: { parse: parseKtOrigin, description: 'key transparency: the checkpoint origin, <host>/sealpost-kt/<16 hex> (keygen prints it)' },
  ktWitnesses: { parse: parseWitnessList, description: 'key transparency: witnesses as <url>=<cosignature vkey>, comma-separated' },
  ktWitnessQuorum: { parse: parseInteger(0, 100), description: 'key transparency: cosignatures a checkpoint needs to count as witnessed (default: a majority of the witnesses)' },
  ktBatchMs: { parse: parseInteger(1, 60_000), default: 1000, description: 'key transparency: most time an update waits to be sequenced, ms' },
  ktHeartbeatMs: { parse: parseInteger(1000, 24 * 3_600_000), default: 600_000, description: 'key transparency: longest time between log entries (empty heartbeat entries), ms' },
  ktVrfThreads: { parse: parseInteger(0, 64), default: 2, description: 'key transparency: worker threads proving ECVRF for the sequencer (0: on the main thread); one proof per new label is its cost' },
  ...runtimeConfigSpec({ metricsPort: 9180 }),
  ...SETTINGS_SPEC,
  corsOrigins: CORS_ORIGINS_OPTION,
} satisfies ConfigSpec;

/** Resolved start-up settings. */
export type KeyServerStartConfig = Config<typeof KEYSERVER_START_SPEC>;

/** Reads the start-up settings; throws the kit's `ConfigError` naming the bad flag or variable. */
export function loadKeyServerStartConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): KeyServerStartConfig {
  return loadConfig(KEYSERVER_START_SPEC, { envPrefix: KEYSERVER_ENV_PREFIX, argv, env });
}

/** The `KeyServerSettings` the configuration asks for. */
export function keyServerSettingsOf(c: KeyServerStartConfig): KeyServerSettings {
  return {
    maxDevices: c.maxDevices,
    maxOneTimeKeysPerDevice: c.maxOneTimeKeysPerDevice,
    bundleRateLimit: c.bundleRateLimit,
    bundleTargetBudget: c.bundleTargetBudget,
    rateLimiterMaxKeys: c.rateLimiterMaxKeys,
    registrationRateLimit: c.registrationRateLimit,
    keyUploadRateLimit: c.keyUploadRateLimit,
    senderCertificateRateLimit: c.senderCertificateRateLimit,
    deviceListRateLimit: c.deviceListRateLimit,
    deviceListTrustedAddresses: c.deviceListTrustedAddresses,
    registrationGate: registrationGateOf(c),
    logClientDetails: c.logClientDetails,
    provisioningCodeTtlMs: c.provisioningCodeTtlMs,
    maxProvisioningCodes: c.maxProvisioningCodes,
    staleKeyAgeMs: c.staleKeyAgeMs,
    replacedKeyGraceMs: c.replacedKeyGraceMs,
    senderCertificateTtlMs: c.senderCertificateTtlMs,
    relayCredentialTtlMs: c.relayCredentialTtlMs,
    relayAudiences: c.relayAudiences === undefined ? undefined : parseList(c.relayAudiences),
    senderCertificateReuseMarginMs: c.senderCertificateReuseMarginMs,
    ktSearchRateLimit: c.ktSearchRateLimit,
    bodyLimit: c.bodyLimit,
    pruneIntervalMs: c.pruneIntervalMs,
  };
}

/** The attachment-form settings the configuration asks for. */
export function attachmentFormSettingsOf(c: KeyServerStartConfig): AttachmentFormSettings {
  return { maxUploadBytes: c.attachmentMaxBytes, capabilityTtlMs: c.attachmentCapabilityTtlMs, formRateLimit: c.attachmentFormRateLimit };
}

/** The registration gate; throws `ConfigError` when `token` lacks its keys. */
function registrationGateOf(c: KeyServerStartConfig): RegistrationGateSettings {
  if (c.registrationGate === 'token') {
    if (c.registrationTokenKeys === undefined) throw new ConfigError('--registration-gate token needs --registration-token-keys');
    return { mode: 'token', publicKeys: c.registrationTokenKeys, maxLifetimeMs: c.registrationTokenMaxLifetimeMs };
  }
  if (c.registrationGate === 'proof-of-work') {
    return { mode: 'proof-of-work', difficulty: c.registrationPowDifficulty, challengeTtlMs: c.registrationPowChallengeTtlMs };
  }
  return { mode: 'off' };
}

/** One line per flag, for `--help`. */
export function keyServerUsage(): string {
  return (
    `Usage: sealpost-keyserver [--flag value ...]\n` +
    `       sealpost-keyserver keygen --out <dir> [--key-id N] [--trust-root trust-root.json] [--only server-certificate|relay-key] [--force]\n\n` +
    `Runs the Sealpost key server (accounts, devices, prekey bundles, sender certificates, relay credentials).\n` +
    `Settings: flags > KEYSERVER_* variables > --config file > defaults.\n\n${configUsage(KEYSERVER_START_SPEC, KEYSERVER_ENV_PREFIX)}\n`
  );
}
