/**
 * A caller-owned, bounded cache of the static-static agreements
 * DH(S, R_i) that sealed sender v2 puts into every recipient's
 * authentication tag (v2-keys.ts `v2AuthTag`). DH(S, R_i) depends only on
 * the sender's identity key and the recipient's, so a sender that writes to
 * the same members again (every group message after the first) can skip
 * one of the two X25519 operations per recipient; the bytes sent are
 * exactly the same with or without the cache. Sealed sender v1 uses the
 * same agreement in its static layer, so `sealV1` takes the cache too: the
 * 1:1 sealed sends of the distribution messages warm it for the first
 * group send.
 *
 * - The cache belongs to one sender identity: it keeps a copy of the
 *   sender's private key and is emptied when called with another one.
 * - Entries are secrets as sensitive as the identity key itself: they stay
 *   in memory only, at most `maxEntries` (least recently used evicted), and
 *   are zeroed when evicted or on `clear()`.
 */
import { InvalidArgumentError } from '../errors.ts';
import { toHex } from '../primitives/bytes.ts';
import { constantTimeEqual } from '../primitives/index.ts';
import { v2Agree } from './v2-keys.ts';

/** Default bound: libsignal's server accepts at most 5,000 recipients per send. */
export const DEFAULT_V2_AGREEMENT_CACHE_ENTRIES = 5000;

export class SealedSenderV2AgreementCache {
  readonly maxEntries: number;
  #owner: Uint8Array | undefined;
  readonly #entries = new Map<string, Uint8Array>();

  constructor(options: { maxEntries?: number } = {}) {
    const max = options.maxEntries ?? DEFAULT_V2_AGREEMENT_CACHE_ENTRIES;
    if (!Number.isSafeInteger(max) || max < 1) throw new InvalidArgumentError(`maxEntries must be a positive integer, got ${max}`);
    this.maxEntries = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** DH(senderPrivate, recipientPublic) (raw 32-byte keys), from the cache when known. */
  agree(senderPrivate: Uint8Array, recipientPublic: Uint8Array): Uint8Array {
    if (this.#owner === undefined || !constantTimeEqual(this.#owner, senderPrivate)) {
      this.clear();
      this.#owner = senderPrivate.slice();
    }
    const key = toHex(recipientPublic);
    const known = this.#entries.get(key);
    if (known !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, known);
      return known;
    }
    const agreement = v2Agree(senderPrivate, recipientPublic);
    this.#entries.set(key, agreement);
    while (this.#entries.size > this.maxEntries) {
      const [oldest, value] = this.#entries.entries().next().value!;
      value.fill(0);
      this.#entries.delete(oldest);
    }
    return agreement;
  }

  /** Forgets (and zeroes) every agreement and the sender key. */
  clear(): void {
    for (const value of this.#entries.values()) value.fill(0);
    this.#entries.clear();
    this.#owner?.fill(0);
    this.#owner = undefined;
  }
}
