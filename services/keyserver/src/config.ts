/**
 * The key server's settings, with defaults chosen after Signal-Server where
 * it has an equivalent.
 */
import type { RateLimit } from './rate-limiter.ts';
import type { RegistrationGateSettings } from './registration-gate.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Tunables of a key server instance (all optional in `buildKeyServer`). */
export interface KeyServerSettings {
  /** Devices per account, primary included (Signal: 6). */
  maxDevices: number;
  /** One-time keys of each kind a device may hold on the server. */
  maxOneTimeKeysPerDevice: number;
  /**
   * Bundle fetches per (requester device, target account), whatever the
   * device selector (`/1`, `/*`): Signal allows 6 at once, then one per 10
   * minutes. `false` disables it (and, unless `bundleTargetBudget` is given
   * explicitly, the per-target budget too).
   */
  bundleRateLimit: RateLimit | false;
  /**
   * One-time keys handed out per target DEVICE, across all requesters. When
   * it is spent, fetches still succeed but get the signed prekey and the
   * last-resort Kyber key only (what a drained device serves), so a crowd of
   * requesters cannot drain a victim. `false` disables it.
   */
  bundleTargetBudget: RateLimit | false;
  /** Most buckets one in-memory limiter tracks; when full it refuses new keys (429) instead of forgetting busy ones. */
  rateLimiterMaxKeys: number;
  /** Account creations and device links per client address (IPv6 grouped by /64). `false` disables it. */
  registrationRateLimit: RateLimit | false;
  /** Key uploads (`PUT /v1/keys`) per device. `false` disables it. */
  keyUploadRateLimit: RateLimit | false;
  /** Sender-certificate requests per device. `false` disables it. */
  senderCertificateRateLimit: RateLimit | false;
  /**
   * `GET /v1/accounts/:id/devices` per client address (IPv6 /64) or, with
   * Basic credentials, per device. `false` disables it.
   */
  deviceListRateLimit: RateLimit | false;
  /** Client addresses (CIDR) exempt from `deviceListRateLimit`: the relays. Default loopback. */
  deviceListTrustedAddresses: string[];
  /** Account-creation gate: off, an app-signed token, or proof of work (registration-gate.ts). */
  registrationGate: RegistrationGateSettings;
  /**
   * Log client addresses and full URLs (with account ids) on every request.
   * Off by default: the default request log line is method, route pattern, status and duration.
   */
  logClientDetails: boolean;
  /** Lifetime of a provisioning code. */
  provisioningCodeTtlMs: number;
  /** Most unused, unexpired provisioning codes per account. */
  maxProvisioningCodes: number;
  /** Age after which a signed prekey or last-resort key is reported as stale. */
  staleKeyAgeMs: number;
  /** How long replaced signed / last-resort keys are kept (visible to their device). */
  replacedKeyGraceMs: number;
  /** Lifetime of sender certificates. */
  senderCertificateTtlMs: number;
  /** Lifetime of relay credentials. */
  relayCredentialTtlMs: number;
  /**
   * The relays (audiences) this server issues relay credentials for, e.g.
   * `['https://relay.example']`; a client names one with `?audience=`.
   * `undefined`: any well-formed audience (each relay still refuses tokens
   * not for itself). The first entry is used when a client names none.
   */
  relayAudiences: string[] | undefined;
  /** Sender certificates are re-issued (not served from the cache) once less than this is left of their lifetime. */
  senderCertificateReuseMarginMs: number;
  /** Key-transparency searches and handle lookups per client address (IPv6 /64), unauthenticated. `false` disables it. */
  ktSearchRateLimit: RateLimit | false;
  /** Largest request body in bytes (100 Kyber keys ≈ 225 KB of JSON). */
  bodyLimit: number;
  /** How often replaced keys and expired codes are pruned (0 = never). */
  pruneIntervalMs: number;
}

/** Defaults. */
export const DEFAULT_SETTINGS: KeyServerSettings = {
  maxDevices: 6,
  maxOneTimeKeysPerDevice: 5000,
  bundleRateLimit: { burst: 6, refillMs: 10 * MINUTE },
  bundleTargetBudget: { burst: 50, refillMs: 5 * MINUTE },
  rateLimiterMaxKeys: 200_000,
  registrationRateLimit: { burst: 20, refillMs: MINUTE },
  keyUploadRateLimit: { burst: 10, refillMs: MINUTE },
  senderCertificateRateLimit: { burst: 10, refillMs: MINUTE },
  deviceListRateLimit: { burst: 60, refillMs: 1000 },
  deviceListTrustedAddresses: ['127.0.0.0/8', '::1/128'],
  registrationGate: { mode: 'off' },
  logClientDetails: false,
  provisioningCodeTtlMs: 10 * MINUTE,
  maxProvisioningCodes: 5,
  staleKeyAgeMs: 7 * DAY,
  replacedKeyGraceMs: 30 * DAY,
  senderCertificateTtlMs: DAY,
  relayCredentialTtlMs: HOUR,
  relayAudiences: undefined,
  senderCertificateReuseMarginMs: 2 * HOUR,
  ktSearchRateLimit: { burst: 200, refillMs: 50 },
  bodyLimit: 512 * 1024,
  pruneIntervalMs: HOUR,
};
