/**
 * A bounded cache of server certificates that were validated against a
 * trust root, so a stream of sealed messages signed under the same server
 * certificate costs one XEdDSA verify each (the sender certificate) instead
 * of two.
 *
 * The caller owns the cache (one per client, say) and passes it to
 * `unseal` / `senderCertificateIsValid`; there is no module-global state.
 *
 * - The key is every input of the server-certificate check: the trust root,
 *   the key id (revocation), the exact signed `Certificate` bytes and the
 *   exact signature. Any changed byte is another key, so a tampered
 *   certificate never hits an entry.
 * - Only successful validations are stored; a failure is never remembered
 *   and is checked again the next time.
 * - At most `maxEntries` entries, least recently used evicted first;
 *   `clear()` empties it (e.g. when the pinned trust roots change).
 */
import { InvalidArgumentError } from '../errors.ts';
import { toHex as hex } from '../primitives/bytes.ts';
import { rawCurvePublicKey } from '../keys/curve-key.ts';
import type { ServerCertificate } from './certificates.ts';

/** Default bound: server certificates rotate rarely, a handful is plenty. */
export const DEFAULT_SERVER_CERTIFICATE_CACHE_ENTRIES = 16;

/** Options of `ServerCertificateCache`. */
export interface ServerCertificateCacheOptions {
  /** Most entries kept (a positive integer); default 16. */
  maxEntries?: number;
}

/** The validated-server-certificate cache (see the module comment). */
export class ServerCertificateCache {
  readonly maxEntries: number;
  readonly #entries = new Set<string>();

  constructor(options: ServerCertificateCacheOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_SERVER_CERTIFICATE_CACHE_ENTRIES;
    if (!Number.isSafeInteger(max) || max < 1) throw new InvalidArgumentError(`maxEntries must be a positive integer, got ${max}`);
    this.maxEntries = max;
  }

  /** Number of cached validations. */
  get size(): number {
    return this.#entries.size;
  }

  /** True when `cert` was validated against `trustRoot` (raw 32 or 33 bytes) and is still cached. */
  has(cert: ServerCertificate, trustRoot: Uint8Array): boolean {
    const key = cacheKey(cert, trustRoot);
    if (!this.#entries.has(key)) return false;
    // Most recently used goes last.
    this.#entries.delete(key);
    this.#entries.add(key);
    return true;
  }

  /**
   * Records that `cert` validated against `trustRoot`. Call it only after a
   * successful `serverCertificateIsValid(cert, trustRoot)`.
   */
  add(cert: ServerCertificate, trustRoot: Uint8Array): void {
    const key = cacheKey(cert, trustRoot);
    this.#entries.delete(key);
    this.#entries.add(key);
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.values().next().value!);
  }

  /** Forgets every cached validation. */
  clear(): void {
    this.#entries.clear();
  }
}

function u32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** trust root ‖ key id ‖ len(certificate) ‖ certificate ‖ signature, as hex (lengths make it unambiguous). */
function cacheKey(cert: ServerCertificate, trustRoot: Uint8Array): string {
  const root = rawCurvePublicKey('trust root', trustRoot);
  return `${hex(root)}:${u32(cert.keyId)}:${u32(cert.certificate.length)}:${hex(cert.certificate)}:${hex(cert.signature)}`;
}
