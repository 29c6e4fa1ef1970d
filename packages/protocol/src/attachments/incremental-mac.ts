/**
 * libsignal's incremental MAC (rust/protocol/src/incremental_mac.rs): for a
 * chunk size c the digest is `HMAC(k, d[0..c]) ‖ HMAC(k, d[0..2c]) ‖ … ‖
 * HMAC(k, d)` — a MAC of every prefix ending on a chunk boundary (the MAC
 * state is continued, not reset), then the MAC of the whole input, 32 bytes
 * each. When the length is a multiple of c the last two are equal.
 * A validator checks each prefix MAC as soon as its chunk is complete, so a
 * reader can stop at the first corrupted chunk.
 */
import { InvalidArgumentError } from '../errors.ts';
import { constantTimeEqual, hmacSha256Incremental, type IncrementalHmac } from '../primitives/index.ts';

const MAC_LENGTH = 32;

function checkChunkSize(chunkSize: number): void {
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new InvalidArgumentError(`chunk size must be a positive integer, got ${chunkSize}`);
}

/** Feeds `data` to `mac`, calling `boundary()` each time a chunk completes. Returns the new offset in the chunk. */
function feed(mac: IncrementalHmac, chunkSize: number, inChunk: number, data: Uint8Array, boundary: () => void): number {
  let offset = 0;
  let filled = inChunk;
  while (offset < data.length) {
    const take = Math.min(chunkSize - filled, data.length - offset);
    mac.update(data.subarray(offset, offset + take));
    offset += take;
    filled += take;
    if (filled === chunkSize) {
      boundary();
      filled = 0;
    }
  }
  return filled;
}

/** Computes an incremental MAC. */
export class IncrementalMacDigester {
  private readonly mac: IncrementalHmac;
  private readonly digests: Uint8Array[] = [];
  private inChunk = 0;
  private done = false;

  constructor(key: Uint8Array, private readonly chunkSize: number) {
    checkChunkSize(chunkSize);
    this.mac = hmacSha256Incremental(key);
  }

  update(data: Uint8Array): void {
    if (this.done) throw new InvalidArgumentError('incremental MAC already finalized');
    this.inChunk = feed(this.mac, this.chunkSize, this.inChunk, data, () => this.digests.push(this.mac.snapshot()));
  }

  /**
   * HMAC(key, everything fed so far). For an attachment blob fed up to the end
   * of its ciphertext this is the blob's own MAC (same key, same input), so
   * the encryptor need not run a second HMAC over the data.
   */
  snapshot(): Uint8Array {
    return this.mac.snapshot();
  }

  /** The concatenated MACs (32 bytes each). */
  finalize(): Uint8Array {
    if (this.done) throw new InvalidArgumentError('incremental MAC already finalized');
    this.done = true;
    this.digests.push(this.mac.digest());
    const out = new Uint8Array(this.digests.length * MAC_LENGTH);
    this.digests.forEach((d, i) => out.set(d, i * MAC_LENGTH));
    return out;
  }
}

/** Checks data against an expected incremental MAC, chunk by chunk. */
export class IncrementalMacValidator {
  private readonly mac: IncrementalHmac;
  private readonly expected: Uint8Array;
  private next = 0;
  private inChunk = 0;
  private failed = false;

  /** Throws InvalidArgumentError when `expected` is not a non-empty multiple of 32 bytes. */
  constructor(key: Uint8Array, private readonly chunkSize: number, expected: Uint8Array) {
    checkChunkSize(chunkSize);
    if (!(expected instanceof Uint8Array) || expected.length === 0 || expected.length % MAC_LENGTH !== 0) {
      throw new InvalidArgumentError('incremental MAC must be a non-empty multiple of 32 bytes');
    }
    this.expected = expected.slice();
    this.mac = hmacSha256Incremental(key);
  }

  private check(mac: Uint8Array): boolean {
    const start = this.next * MAC_LENGTH;
    if (start + MAC_LENGTH > this.expected.length) return false;
    this.next++;
    return constantTimeEqual(mac, this.expected.subarray(start, start + MAC_LENGTH));
  }

  /** Feeds data; false (for good) as soon as a completed chunk's MAC does not match. */
  update(data: Uint8Array): boolean {
    if (this.failed) return false;
    this.inChunk = feed(this.mac, this.chunkSize, this.inChunk, data, () => {
      if (!this.failed && !this.check(this.mac.snapshot())) this.failed = true;
    });
    return !this.failed;
  }

  /** HMAC(key, everything fed so far) (see IncrementalMacDigester.snapshot). */
  snapshot(): Uint8Array {
    return this.mac.snapshot();
  }

  /** True when the final MAC matches and it was the last one expected. */
  finalize(): boolean {
    if (this.failed) return false;
    this.failed = true; // single use
    return this.check(this.mac.digest()) && this.next * MAC_LENGTH === this.expected.length;
  }
}
