/**
 * libsignal's `DecryptionErrorMessage` (a "retry request") and the
 * `PlaintextContent` that carries it, byte for byte as libsignal 0.90 writes
 * and reads them.
 *
 * DecryptionErrorMessage (service.proto): ratchet_key = 1 (bytes, the
 * serialized sender ratchet key of the message that failed; absent for
 * SenderKey messages), timestamp = 2 (uint64, required), device_id = 3
 * (uint32, the device that sent the failed message; default 0). Encoded in
 * field order, every present field written (as prost does).
 *
 * PlaintextContent: `0xC0 || Content{ decryption_error_message = 8 } || 0x80`
 * — an identifier byte, a Signal `Content` protobuf holding the serialized
 * DecryptionErrorMessage in field 8, and the padding-boundary byte. It
 * travels unencrypted inside sealed sender (content type 8,
 * `SealedContentType.Plaintext`).
 *
 * The decoders are strict, as libsignal's: a known field with the wrong wire
 * type, a truncated or over-long (> 10 bytes) varint, a length past the end,
 * field number 0 and a missing timestamp are refused; unknown fields are
 * skipped; a repeated field keeps its last value; non-minimal varints are
 * read (prost reads them too). Stricter than libsignal (documented
 * divergences): a ratchet key must be exactly 33 bytes (libsignal tolerates
 * trailing bytes after the key), a device id must fit 32 bits (prost
 * truncates), and a timestamp must be a safe JS integer (libsignal-client's
 * JS getter throws on larger ones).
 */
import { InvalidArgumentError, InvalidKeyError, InvalidMessageError } from '../errors.ts';
import { checkCurvePublicKey } from '../keys/curve-key.ts';
import { checkBytes, concatBytes } from '../primitives/bytes.ts';
import { decodePreKeySignalMessage } from './prekey-signal-message.ts';
import { decodeSignalMessage } from './signal-message.ts';

/** A decoded (or to be encoded) DecryptionErrorMessage. */
export interface DecryptionErrorMessage {
  /** The failed message's sender ratchet key (33 bytes, 0x05-prefixed), when it had one. */
  readonly ratchetKey: Uint8Array | undefined;
  /** The failed message's timestamp, ms. */
  readonly timestamp: number;
  /** The device that sent the failed message (0 when absent). */
  readonly deviceId: number;
}

/** libsignal's `PlaintextContent` identifier byte. */
export const PLAINTEXT_CONTENT_IDENTIFIER = 0xc0;
/** The padding-boundary byte libsignal appends to a PlaintextContent. */
const PADDING_BOUNDARY = 0x80;
/** `Content.decryption_error_message`. */
const CONTENT_DEM_FIELD = 8;

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

function fail(what: string): never {
  throw new InvalidMessageError(`DecryptionErrorMessage: ${what}`);
}

/** A protobuf reader over `bytes` that refuses what prost refuses. */
class StrictReader {
  pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  varint(): bigint {
    let value = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.bytes.length) fail(`${this.what}: truncated varint`);
      const b = this.bytes[this.pos++]!;
      if (i === 9 && b > 1) fail(`${this.what}: varint overflows 64 bits`);
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return value;
    }
    return fail(`${this.what}: varint longer than 10 bytes`);
  }

  tag(): [field: number, wireType: number] {
    const tag = this.varint();
    if (tag > 0xffffffffn) fail(`${this.what}: tag out of range`);
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (field === 0) fail(`${this.what}: field number 0`);
    return [field, wireType];
  }

  /** A length-delimited value (a copy). */
  bytesField(): Uint8Array {
    const length = this.varint();
    if (length > BigInt(this.bytes.length - this.pos)) fail(`${this.what}: length ${length} runs past the end`);
    const out = this.bytes.slice(this.pos, this.pos + Number(length));
    this.pos += Number(length);
    return out;
  }

  /** Skips an unknown field's value. */
  skip(wireType: number, field: number): void {
    if (wireType === VARINT) this.varint();
    else if (wireType === LEN) this.bytesField();
    else if (wireType === FIXED64 || wireType === FIXED32) {
      const n = wireType === FIXED64 ? 8 : 4;
      if (this.bytes.length - this.pos < n) fail(`${this.what}: truncated fixed-width field ${field}`);
      this.pos += n;
    } else if (wireType === 3) this.#skipGroup(field, 0);
    else fail(`${this.what}: invalid wire type ${wireType} (field ${field})`);
  }

  #skipGroup(field: number, depth: number): void {
    if (depth > 32) fail(`${this.what}: groups nested too deep`);
    for (;;) {
      if (this.done) fail(`${this.what}: unterminated group ${field}`);
      const [f, w] = this.tag();
      if (w === 4) {
        if (f !== field) fail(`${this.what}: mismatched end of group ${field}`);
        return;
      }
      if (w === 3) this.#skipGroup(f, depth + 1);
      else this.skip(w, f);
    }
  }
}

function writeVarint(out: number[], value: bigint): void {
  let v = value;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

/** Serializes a DecryptionErrorMessage as libsignal does. */
export function encodeDecryptionErrorMessage(message: DecryptionErrorMessage): Uint8Array {
  const { ratchetKey, timestamp, deviceId } = message;
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new InvalidArgumentError(`timestamp must be a non-negative safe integer, got ${timestamp}`);
  if (!Number.isInteger(deviceId) || deviceId < 0 || deviceId > 0xffffffff) throw new InvalidArgumentError(`deviceId must be a 32-bit unsigned integer, got ${deviceId}`);
  const out: number[] = [];
  if (ratchetKey !== undefined) {
    checkCurvePublicKey(ratchetKey, 'ratchet key');
    out.push((1 << 3) | LEN);
    writeVarint(out, BigInt(ratchetKey.length));
    out.push(...ratchetKey);
  }
  out.push((2 << 3) | VARINT);
  writeVarint(out, BigInt(timestamp));
  out.push((3 << 3) | VARINT);
  writeVarint(out, BigInt(deviceId));
  return Uint8Array.from(out);
}

/** Parses a serialized DecryptionErrorMessage (libsignal's `DecryptionErrorMessage.deserialize`). */
export function decodeDecryptionErrorMessage(bytes: Uint8Array): DecryptionErrorMessage {
  checkBytes('DecryptionErrorMessage', bytes);
  const r = new StrictReader(bytes, 'message');
  let ratchetKey: Uint8Array | undefined;
  let timestamp: bigint | undefined;
  let deviceId = 0n;
  while (!r.done) {
    const [field, wireType] = r.tag();
    const known = field >= 1 && field <= 3;
    if (known && wireType !== (field === 1 ? LEN : VARINT)) fail(`field ${field} has wire type ${wireType}`);
    if (field === 1) ratchetKey = r.bytesField();
    else if (field === 2) timestamp = r.varint();
    else if (field === 3) deviceId = r.varint();
    else r.skip(wireType, field);
  }
  if (timestamp === undefined) fail('no timestamp');
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) fail(`timestamp ${timestamp} is not a safe integer`);
  if (deviceId > 0xffffffffn) fail(`device id ${deviceId} does not fit 32 bits`);
  if (ratchetKey !== undefined) {
    try {
      checkCurvePublicKey(ratchetKey, 'DecryptionErrorMessage ratchet key');
    } catch (e) {
      if (e instanceof InvalidKeyError) fail(e.message);
      throw e;
    }
  }
  return { ratchetKey, timestamp: Number(timestamp), deviceId: Number(deviceId) };
}

/**
 * libsignal's `DecryptionErrorMessage.forOriginal`: the retry request for a
 * message of `type` (2 SignalMessage, 3 PreKeySignalMessage, 7 SenderKey)
 * that could not be decrypted. The ratchet key is read from the message
 * (a malformed one throws `InvalidMessageError`); type 8 (plaintext) is
 * refused, as libsignal refuses it.
 */
export function decryptionErrorMessageForOriginal(original: Uint8Array, type: number, timestamp: number, originalSenderDeviceId: number): DecryptionErrorMessage {
  let ratchetKey: Uint8Array | undefined;
  if (type === 2) ratchetKey = decodeSignalMessage(original).senderRatchetKey.slice();
  else if (type === 3) ratchetKey = decodePreKeySignalMessage(original).message.senderRatchetKey.slice();
  else if (type !== 7) throw new InvalidArgumentError(`cannot make a DecryptionErrorMessage for message type ${type}`);
  return { ratchetKey, timestamp, deviceId: originalSenderDeviceId };
}

/** libsignal's `PlaintextContent.from(decryptionErrorMessage).serialize()`. */
export function encodePlaintextContent(message: DecryptionErrorMessage): Uint8Array {
  const dem = encodeDecryptionErrorMessage(message);
  const header: number[] = [(CONTENT_DEM_FIELD << 3) | LEN];
  writeVarint(header, BigInt(dem.length));
  return concatBytes(Uint8Array.of(PLAINTEXT_CONTENT_IDENTIFIER), Uint8Array.from(header), dem, Uint8Array.of(PADDING_BOUNDARY));
}

/**
 * The body of a serialized PlaintextContent (everything after the 0xC0
 * identifier; libsignal's `PlaintextContent.deserialize(...).body()`), a copy.
 * Empty input or another first byte is `InvalidMessageError`.
 */
export function plaintextContentBody(serialized: Uint8Array): Uint8Array {
  checkBytes('PlaintextContent', serialized);
  if (serialized.length === 0) throw new InvalidMessageError('PlaintextContent is empty');
  if (serialized[0] !== PLAINTEXT_CONTENT_IDENTIFIER) {
    throw new InvalidMessageError(`PlaintextContent starts with 0x${serialized[0]!.toString(16)}, expected 0xc0`);
  }
  return serialized.slice(1);
}

/**
 * libsignal's `DecryptionErrorMessage.extractFromSerializedBody(body)`: the
 * body must end in the 0x80 boundary byte; before it, a `Content` protobuf
 * whose field 8 holds the DecryptionErrorMessage. Returns undefined when the
 * Content holds no DecryptionErrorMessage (libsignal: "Content does not
 * contain DecryptionErrorMessage"); malformed bytes throw `InvalidMessageError`.
 */
export function extractDecryptionErrorMessage(body: Uint8Array): DecryptionErrorMessage | undefined {
  checkBytes('PlaintextContent body', body);
  if (body.length === 0 || body[body.length - 1] !== PADDING_BOUNDARY) fail('PlaintextContent body does not end in the 0x80 boundary byte');
  const r = new StrictReader(body.subarray(0, body.length - 1), 'Content');
  let dem: Uint8Array | undefined;
  while (!r.done) {
    const [field, wireType] = r.tag();
    if (field === CONTENT_DEM_FIELD) {
      if (wireType !== LEN) fail(`Content field 8 has wire type ${wireType}`);
      dem = r.bytesField();
    } else r.skip(wireType, field);
  }
  return dem === undefined ? undefined : decodeDecryptionErrorMessage(dem);
}
