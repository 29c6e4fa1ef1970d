/** What the domain managers share: storage, settings, clock, the bundle limiters and the signature check. */
import type { KeyServerSettings } from '../config.ts';
import type { RateLimitStore } from '../rate-limiter.ts';
import type { KeyStore } from '../store/key-store.ts';
import type { KtLog } from '../kt/kt-log.ts';

/** XEdDSA verification as `xeddsaVerify(identityRaw32, message, signature)`. */
export type SignatureVerifier = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/** Dependencies of `Accounts`, `Devices` and `Keys`. */
export interface DomainDeps {
  store: KeyStore;
  settings: KeyServerSettings;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Bundle fetches per (requester device, target account); undefined when disabled. */
  bundleLimiter: RateLimitStore | undefined;
  /** One-time keys handed out per target device, across requesters; undefined when disabled. */
  targetBudget?: RateLimitStore | undefined;
  /** The key-transparency log (account creation logs the identity key); undefined when KT is off. */
  keyTransparency?: KtLog | undefined;
  /** Prekey signature check (default `xeddsaVerify`; a seam to count verifications). */
  verifySignature?: SignatureVerifier;
}
