/** What the domain managers share: storage, settings, clock and the bundle limiter. */
import type { KeyServerSettings } from '../config.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import type { KeyStore } from '../store/key-store.ts';

/** Dependencies of `Accounts`, `Devices` and `Keys`. */
export interface DomainDeps {
  store: KeyStore;
  settings: KeyServerSettings;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Bundle fetches per (requester device, target); undefined when disabled. */
  bundleLimiter: RateLimiter | undefined;
}
