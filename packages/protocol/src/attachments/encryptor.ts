/**
 * Signal's attachment encryption as a pure incremental engine (no streams,
 * no files): `iv ‖ AES-256-CBC(aesKey, iv, plaintext ‖ zeros to
 * paddedSize, PKCS#7) ‖ HMAC-SHA256(macKey, iv ‖ ct)`, where
 * `key = aesKey(32) ‖ macKey(32)`. Alongside it computes the digest
 * (SHA-256 of the blob), the incremental MAC of the blob under macKey with
 * libsignal's chunk size for the blob length, and SHA-256 of the plaintext.
 *
 * Memory: what `update` returns is about the size of its input; `finish`
 * yields the padding in 64 KiB pieces, so nothing grows with the file.
 */
import { InvalidArgumentError } from '../errors.ts';
import {
  aes256CbcEncryptStream,
  checkBytes,
  randomBytes,
  sha256Incremental,
  type CbcStream,
  type IncrementalHash,
} from '../primitives/index.ts';
import { incrementalChunkSize } from './chunk-size.ts';
import { IncrementalMacDigester } from './incremental-mac.ts';
import { ATTACHMENT_IV_LENGTH, ATTACHMENT_KEY_LENGTH, ciphertextSize, paddedSize } from './padding.ts';

const PADDING_PIECE = 64 * 1024;

/** What the sender puts in the pointer besides the key. */
export interface EncryptedAttachmentInfo {
  /** Plaintext length (unpadded), as the pointer's `size`. */
  size: number;
  /** Blob length: `ciphertextSize(size)`. */
  ciphertextSize: number;
  /** SHA-256 of the whole blob. */
  digest: Uint8Array;
  /** libsignal incremental MAC of the blob (32 bytes per chunk, plus the final one). */
  incrementalMac: Uint8Array;
  chunkSize: number;
  /** SHA-256 of the plaintext. */
  plaintextHash: Uint8Array;
}

/** A fresh 64-byte attachment key and 16-byte IV (from `random`, the platform CSPRNG by default). */
export function generateAttachmentKeys(random: (n: number) => Uint8Array = randomBytes): { key: Uint8Array; iv: Uint8Array } {
  return { key: checkBytes('attachment key', random(ATTACHMENT_KEY_LENGTH), ATTACHMENT_KEY_LENGTH).slice(), iv: checkBytes('attachment iv', random(ATTACHMENT_IV_LENGTH), ATTACHMENT_IV_LENGTH).slice() };
}

/** Splits a 64-byte attachment key into its AES and MAC halves (copies). */
export function splitAttachmentKey(key: Uint8Array): { aesKey: Uint8Array; macKey: Uint8Array } {
  checkBytes('attachment key', key, ATTACHMENT_KEY_LENGTH);
  return { aesKey: key.slice(0, 32), macKey: key.slice(32, 64) };
}

/** Encrypts one attachment of a length known in advance. */
export class AttachmentEncryptor {
  readonly size: number;
  readonly ciphertextSize: number;
  private readonly iv: Uint8Array;
  private readonly cbc: CbcStream;
  private readonly digest: IncrementalHash;
  private readonly plaintextHash: IncrementalHash;
  private readonly incremental: IncrementalMacDigester;
  private fed = 0;
  private started = false;
  private info: EncryptedAttachmentInfo | undefined;

  /** `key`: 64 bytes; `iv`: 16 bytes; `size`: the exact number of plaintext bytes that will be fed. */
  constructor(key: Uint8Array, iv: Uint8Array, size: number) {
    const { aesKey, macKey } = splitAttachmentKey(key);
    this.iv = checkBytes('attachment iv', iv, ATTACHMENT_IV_LENGTH).slice();
    this.size = size;
    this.ciphertextSize = ciphertextSize(size);
    this.cbc = aes256CbcEncryptStream(aesKey, this.iv);
    this.digest = sha256Incremental();
    this.plaintextHash = sha256Incremental();
    this.incremental = new IncrementalMacDigester(macKey, incrementalChunkSize(this.ciphertextSize));
  }

  private emit(out: Uint8Array[], bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.digest.update(bytes);
    this.incremental.update(bytes);
    out.push(bytes);
  }

  private start(out: Uint8Array[]): void {
    if (this.started) return;
    this.started = true;
    this.emit(out, this.iv.slice());
  }

  private encrypt(out: Uint8Array[], plaintext: Uint8Array): void {
    this.emit(out, this.cbc.update(plaintext));
  }

  /** Feeds plaintext; returns the blob bytes ready so far (possibly none). Throws when more than `size` bytes are fed. */
  update(plaintext: Uint8Array): Uint8Array[] {
    if (this.info !== undefined) throw new InvalidArgumentError('attachment encryptor already finished');
    checkBytes('attachment plaintext', plaintext);
    if (this.fed + plaintext.length > this.size) throw new InvalidArgumentError(`attachment plaintext is longer than its declared size ${this.size}`);
    this.fed += plaintext.length;
    this.plaintextHash.update(plaintext);
    const out: Uint8Array[] = [];
    this.start(out);
    this.encrypt(out, plaintext);
    return out;
  }

  /** Pads, finishes CBC and appends the MAC; yields the remaining blob bytes. Throws when fewer than `size` bytes were fed. */
  *finish(): Generator<Uint8Array> {
    if (this.info !== undefined) throw new InvalidArgumentError('attachment encryptor already finished');
    if (this.fed !== this.size) throw new InvalidArgumentError(`attachment plaintext is ${this.fed} bytes, declared ${this.size}`);
    const start: Uint8Array[] = [];
    this.start(start);
    yield* start;
    let padding = paddedSize(this.size) - this.size;
    const zeros = new Uint8Array(Math.min(padding, PADDING_PIECE));
    while (padding > 0) {
      const n = Math.min(padding, zeros.length);
      const out: Uint8Array[] = [];
      this.encrypt(out, zeros.subarray(0, n));
      padding -= n;
      yield* out;
    }
    const tail: Uint8Array[] = [];
    this.emit(tail, this.cbc.final()!);
    // HMAC(macKey, iv ‖ ct) is the incremental MAC's running HMAC at this point: one pass fewer.
    this.emit(tail, this.incremental.snapshot());
    yield* tail;
    this.info = {
      size: this.size,
      ciphertextSize: this.ciphertextSize,
      digest: this.digest.digest(),
      incrementalMac: this.incremental.finalize(),
      chunkSize: incrementalChunkSize(this.ciphertextSize),
      plaintextHash: this.plaintextHash.digest(),
    };
  }

  /** The digests, once `finish()` has run to its end. */
  result(): EncryptedAttachmentInfo {
    if (this.info === undefined) throw new InvalidArgumentError('attachment encryptor not finished');
    return { ...this.info, digest: this.info.digest.slice(), incrementalMac: this.info.incrementalMac.slice(), plaintextHash: this.info.plaintextHash.slice() };
  }
}
