/**
 * The key server's settings, with defaults chosen after Signal-Server where
 * it has an equivalent.
 */
import type { RateLimit } from './rate-limiter.ts';

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
   * Bundle fetches per (requester device, target account, target device):
   * Signal allows 6 at once, then one per 10 minutes. `false` disables it.
   */
  bundleRateLimit: RateLimit | false;
  /** Account creations and device links per client IP. `false` disables it. */
  registrationRateLimit: RateLimit | false;
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
  registrationRateLimit: { burst: 20, refillMs: MINUTE },
  provisioningCodeTtlMs: 10 * MINUTE,
  maxProvisioningCodes: 5,
  staleKeyAgeMs: 7 * DAY,
  replacedKeyGraceMs: 30 * DAY,
  senderCertificateTtlMs: DAY,
  relayCredentialTtlMs: HOUR,
  relayAudiences: undefined,
  senderCertificateReuseMarginMs: 2 * HOUR,
  bodyLimit: 512 * 1024,
  pruneIntervalMs: HOUR,
};
