/**
 * Signal attachment decryption as a pure incremental engine. It checks, in
 * this order of detection: the blob length against `ciphertextSize(size)`
 * (an extra byte fails at once), each incremental-MAC chunk as soon as it
 * is complete, then at the end the final incremental MAC, the digest, the
 * HMAC, PKCS#7, zero padding after `size`, and optionally the plaintext hash.
 *
 * What `update` returns is NOT yet authenticated: callers must hold it back
 * until `final()` returns (`decryptAttachmentToSink` in stream.ts commits its
 * sink only then; the client's sink is a temporary file renamed on commit). Every failure is an AttachmentIntegrityError.
 */
import { InvalidArgumentError } from '../errors.ts';
import {
  aes256CbcDecryptStream,
  checkBytes,
  constantTimeEqual,
  hmacSha256Incremental,
  sha256Incremental,
  type CbcStream,
  type IncrementalHash,
  type IncrementalHmac,
} from '../primitives/index.ts';
import { incrementalChunkSize } from './chunk-size.ts';
import { splitAttachmentKey } from './encryptor.ts';
import { AttachmentIntegrityError } from './errors.ts';
import { IncrementalMacValidator } from './incremental-mac.ts';
import { ATTACHMENT_IV_LENGTH, ATTACHMENT_MAC_LENGTH, ciphertextSize } from './padding.ts';

/** What the receiver knows from the pointer. */
export interface AttachmentDecryptParams {
  /** 64-byte key (AES ‖ MAC). */
  key: Uint8Array;
  /** Unpadded plaintext size. */
  size: number;
  /** SHA-256 of the blob (32 bytes). */
  digest: Uint8Array;
  /** Incremental MAC and its chunk size, when the sender sent them (both or neither). */
  incrementalMac?: Uint8Array | undefined;
  chunkSize?: number | undefined;
  /** SHA-256 of the plaintext, when known. */
  plaintextHash?: Uint8Array | undefined;
}

/** Decrypts and verifies one attachment blob. */
export class AttachmentDecryptor {
  /** The only blob length accepted. */
  readonly expectedLength: number;
  private readonly size: number;
  private readonly aesKey: Uint8Array;
  private readonly expectedDigest: Uint8Array;
  private readonly expectedPlaintextHash: Uint8Array | undefined;
  /** A separate HMAC only when there is no incremental MAC (whose running HMAC gives the blob MAC). */
  private readonly mac: IncrementalHmac | undefined;
  private ourMac: Uint8Array | undefined;
  private paddingBad = false;
  private readonly digest: IncrementalHash = sha256Incremental();
  private readonly plaintextHash: IncrementalHash = sha256Incremental();
  private readonly validator: IncrementalMacValidator | undefined;
  private readonly iv = new Uint8Array(ATTACHMENT_IV_LENGTH);
  private readonly theirMac = new Uint8Array(ATTACHMENT_MAC_LENGTH);
  private cbc: CbcStream | undefined;
  private received = 0;
  private plaintextOut = 0;
  private finished = false;

  /** Throws InvalidArgumentError for malformed parameters (wrong key or digest length, one of incrementalMac/chunkSize without the other). */
  constructor(params: AttachmentDecryptParams) {
    const { aesKey, macKey } = splitAttachmentKey(params.key);
    this.aesKey = aesKey;
    this.size = params.size;
    this.expectedLength = ciphertextSize(params.size);
    this.expectedDigest = checkBytes('attachment digest', params.digest, 32).slice();
    this.expectedPlaintextHash = params.plaintextHash === undefined ? undefined : checkBytes('plaintext hash', params.plaintextHash, 32).slice();
    if ((params.incrementalMac === undefined) !== (params.chunkSize === undefined)) {
      throw new InvalidArgumentError('incrementalMac and chunkSize go together');
    }
    if (params.incrementalMac !== undefined) {
      if (params.chunkSize !== incrementalChunkSize(this.expectedLength)) {
        throw new AttachmentIntegrityError('INCREMENTAL_MAC', `chunk size ${params.chunkSize} is not the one for a ${this.expectedLength}-byte blob`);
      }
      this.validator = new IncrementalMacValidator(macKey, params.chunkSize, params.incrementalMac);
      this.mac = undefined;
    } else {
      this.mac = hmacSha256Incremental(macKey);
    }
  }

  private fail(reason: ConstructorParameters<typeof AttachmentIntegrityError>[0], message: string): never {
    this.finished = true;
    throw new AttachmentIntegrityError(reason, message);
  }

  private plaintext(out: Uint8Array[], bytes: Uint8Array): void {
    const keep = Math.max(0, Math.min(bytes.length, this.size - this.plaintextOut));
    if (keep > 0) {
      const part = bytes.subarray(0, keep);
      this.plaintextHash.update(part);
      out.push(part);
    }
    // Reported in final(), after the MACs: a tampered blob is a MAC failure, not a padding one.
    for (let i = keep; i < bytes.length && !this.paddingBad; i++) if (bytes[i] !== 0) this.paddingBad = true;
    this.plaintextOut += bytes.length;
  }

  /** Feeds blob bytes; returns (unauthenticated) plaintext. Throws AttachmentIntegrityError as soon as a check fails. */
  update(chunk: Uint8Array): Uint8Array[] {
    if (this.finished) throw new InvalidArgumentError('attachment decryptor already finished');
    checkBytes('attachment blob chunk', chunk);
    const start = this.received;
    if (start + chunk.length > this.expectedLength) this.fail('LENGTH', `attachment blob is longer than ${this.expectedLength} bytes`);
    this.received += chunk.length;
    this.digest.update(chunk);
    const ctEnd = this.expectedLength - ATTACHMENT_MAC_LENGTH;
    if (this.validator !== undefined) {
      // Feed the validator up to the end of the ciphertext, take its running HMAC there (= the blob MAC), then the rest.
      const cut = start < ctEnd && start + chunk.length >= ctEnd ? ctEnd - start : chunk.length;
      let ok = this.validator.update(chunk.subarray(0, cut));
      if (cut < chunk.length || start + chunk.length === ctEnd) this.ourMac = this.validator.snapshot();
      if (ok && cut < chunk.length) ok = this.validator.update(chunk.subarray(cut));
      if (!ok) this.fail('INCREMENTAL_MAC', 'attachment chunk MAC does not verify');
    }
    const out: Uint8Array[] = [];
    // iv: [0, 16); ciphertext: [16, ctEnd); their MAC: [ctEnd, expectedLength)
    const ivPart = chunk.subarray(0, Math.max(0, Math.min(chunk.length, ATTACHMENT_IV_LENGTH - start)));
    if (ivPart.length > 0) {
      this.iv.set(ivPart, start);
      this.mac?.update(ivPart);
    }
    const ctFrom = Math.max(start, ATTACHMENT_IV_LENGTH) - start;
    const ctTo = Math.min(start + chunk.length, ctEnd) - start;
    if (ctTo > ctFrom) {
      this.cbc ??= aes256CbcDecryptStream(this.aesKey, this.iv);
      const ct = chunk.subarray(ctFrom, ctTo);
      this.mac?.update(ct);
      this.plaintext(out, this.cbc.update(ct));
    }
    const macFrom = Math.max(start, ctEnd) - start;
    if (chunk.length > macFrom) this.theirMac.set(chunk.subarray(macFrom), start + macFrom - ctEnd);
    return out;
  }

  /** Verifies everything; returns the last plaintext bytes and the plaintext hash. Throws AttachmentIntegrityError. */
  final(): { plaintext: Uint8Array[]; plaintextHash: Uint8Array } {
    if (this.finished) throw new InvalidArgumentError('attachment decryptor already finished');
    if (this.received !== this.expectedLength) this.fail('LENGTH', `attachment blob is ${this.received} bytes, expected ${this.expectedLength}`);
    if (this.validator !== undefined && !this.validator.finalize()) this.fail('INCREMENTAL_MAC', 'attachment incremental MAC does not verify');
    if (!constantTimeEqual(this.digest.digest(), this.expectedDigest)) this.fail('DIGEST', 'attachment digest does not match');
    const ourMac = this.mac !== undefined ? this.mac.digest() : this.ourMac!;
    if (!constantTimeEqual(ourMac, this.theirMac)) this.fail('MAC', 'attachment MAC does not verify');
    const tail = this.cbc!.final();
    if (tail === undefined) this.fail('PADDING', 'attachment PKCS#7 padding is invalid');
    const out: Uint8Array[] = [];
    this.plaintext(out, tail);
    if (this.paddingBad) this.fail('PADDING', 'attachment padding is not zeros');
    if (this.plaintextOut < this.size) this.fail('LENGTH', `attachment plaintext is ${this.plaintextOut} bytes, pointer says ${this.size}`);
    const plaintextHash = this.plaintextHash.digest();
    if (this.expectedPlaintextHash !== undefined && !constantTimeEqual(plaintextHash, this.expectedPlaintextHash)) this.fail('PLAINTEXT_HASH', 'attachment plaintext hash does not match');
    this.finished = true;
    return { plaintext: out, plaintextHash };
  }
}
