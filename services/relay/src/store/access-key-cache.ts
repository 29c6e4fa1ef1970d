/**
 * An opt-in read cache in front of an `AccessKeyStore`, for stores where a
 * lookup is a network round trip. Every entry — a registered hash or the
 * absence of one — is trusted for `ttlMs` only, so a key registered through
 * another relay instance is honoured here within `ttlMs` even with no
 * notices. Writes through this cache update it at once.
 *
 * Several instances: each instance's write publishes an "access key
 * changed" notice (`DeliveryNotifier.accessKeyChanged`), on which every
 * other instance calls `forget`; while notices may be missed (`live()` is
 * false: the cross-instance listener is down) the cache serves nothing, and
 * after it reconnects it is cleared. A read that overlapped a write or a
 * `forget` is not remembered (it may have read the old hash).
 *
 * The embedded SQLite store does not use it by default: a primary-key read
 * there costs a few microseconds, well below the rest of a send (see the
 * relay README, "Access-key cache").
 */
import type { AccessKeyStore } from './envelope-store.ts';

/** How the cache behaves. */
export interface AccessKeyCacheOptions {
  /** How long an answer (present or absent) is trusted, ms. */
  ttlMs: number;
  /** Entries kept before the cache starts over (default 100 000). */
  maxEntries?: number;
  /** Clock (ms), injectable for tests. */
  now?: () => number;
  /** Whether invalidation notices are being received (default: always); while false, nothing is served from or kept in the cache. */
  live?: () => boolean;
}

/** `AccessKeyStore` decorator with a bounded, time-limited read cache. */
export class CachedAccessKeys implements AccessKeyStore {
  private readonly entries = new Map<string, { at: number; hash: Uint8Array | undefined }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly live: () => boolean;
  /** Bumped by every write and every forget: a read that overlapped one is not remembered (it may be stale). */
  private writes = 0;

  constructor(
    private readonly inner: AccessKeyStore,
    options: AccessKeyCacheOptions,
  ) {
    if (!(options.ttlMs > 0)) throw new RangeError('access-key cache ttlMs must be positive');
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
    this.live = options.live ?? (() => true);
  }

  async accessKeyHash(accountId: string): Promise<Uint8Array | undefined> {
    if (!this.live()) return this.inner.accessKeyHash(accountId);
    const hit = this.entries.get(accountId);
    if (hit !== undefined && this.now() - hit.at < this.ttlMs) return hit.hash;
    const at = this.now();
    const writes = this.writes;
    const hash = await this.inner.accessKeyHash(accountId);
    if (writes === this.writes && this.live()) this.remember(accountId, at, hash);
    return hash;
  }

  async setAccessKeyHash(accountId: string, hash: Uint8Array): Promise<void> {
    this.writes++;
    this.entries.delete(accountId);
    try {
      await this.inner.setAccessKeyHash(accountId, hash);
    } finally {
      this.writes++;
    }
    if (this.live()) this.remember(accountId, this.now(), hash);
  }

  /** Forgets the account's entry (another instance changed its key); reads under way are not remembered. */
  forget(accountId: string): void {
    this.writes++;
    this.entries.delete(accountId);
  }

  /** Forgets everything (after notices may have been missed, or an administrative change). */
  clear(): void {
    this.writes++;
    this.entries.clear();
  }

  private remember(accountId: string, at: number, hash: Uint8Array | undefined): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(accountId, { at, hash });
  }
}
