/**
 * Numeric fingerprints ("safety numbers"), as libsignal 0.90 computes them
 * (rust/protocol/src/fingerprint.rs).
 *
 * Per party: F_0 = SHA-512(0x0000 || key || stableId || key),
 * F_i = SHA-512(F_{i-1} || key) for i = 1..iterations-1, where key is the
 * 33-byte serialized identity key (0x05 || u). Displayable: the first 30
 * bytes as six 5-byte big-endian integers mod 100000, zero-padded to 5 digits
 * (30 digits per side), the two sides concatenated with the smaller string
 * first (60 digits). Scannable: the protobuf
 *   CombinedFingerprints { 1: uint32 version, 2: { 1: bytes local[0..32] },
 *                          3: { 1: bytes remote[0..32] } }
 * encoded with @bufbuild/protobuf's wire writer/reader.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { FingerprintError, InvalidArgumentError } from './errors.ts';
import { rawCurvePublicKey, serializeCurvePublicKey } from './keys/curve-key.ts';
import { checkBytes, constantTimeEqual, sha512 } from './primitives/index.ts';
import { strictWire } from './wire/strict-wire.ts';
import { COMBINED_FINGERPRINTS_WIRE } from './wire/wire-schemas.ts';

const FINGERPRINT_FORMAT_VERSION = Uint8Array.of(0x00, 0x00);
const SCANNABLE_LENGTH = 32;

/** The iteration count Signal clients use. */
export const DEFAULT_FINGERPRINT_ITERATIONS = 5200;

/** The inputs of one side of a fingerprint. */
export interface FingerprintParty {
  /** The stable identifier bytes (e.g. the ACI's 16 bytes, or an E.164 string's UTF-8). */
  identifier: Uint8Array;
  /** The identity public key: 33 bytes (0x05 || u) or 32 raw bytes (the 0x05 is added). */
  identityKey: Uint8Array;
}

function serializedIdentityKey(key: Uint8Array, who: string): Uint8Array {
  return serializeCurvePublicKey(rawCurvePublicKey(`${who} identity key`, key));
}

function checkIterations(iterations: number): void {
  // libsignal: iterations <= 1 || iterations > 1000000 is an error.
  if (!Number.isInteger(iterations) || iterations <= 1 || iterations > 1_000_000) {
    throw new InvalidArgumentError(`fingerprint iterations must be an integer in 2..1000000, got ${iterations}`);
  }
}

/** The 64-byte iterated hash for one party (the input to both encodings). */
export function fingerprintHash(iterations: number, party: FingerprintParty, who = 'local'): Uint8Array {
  checkIterations(iterations);
  checkBytes(`${who} identifier`, party.identifier);
  const key = serializedIdentityKey(party.identityKey, who);
  let buf = sha512(FINGERPRINT_FORMAT_VERSION, key, party.identifier, key);
  for (let i = 1; i < iterations; i++) buf = sha512(buf, key);
  return buf;
}

/** 30 decimal digits from the first 30 bytes of a fingerprint hash. */
function encodedDigits(hash: Uint8Array): string {
  let out = '';
  for (let chunk = 0; chunk < 6; chunk++) {
    let x = 0;
    // 5 bytes = 40 bits: exceeds 2^32 but stays below 2^53, so plain numbers are exact.
    for (let i = 0; i < 5; i++) x = x * 256 + hash[chunk * 5 + i]!;
    out += String(x % 100_000).padStart(5, '0');
  }
  return out;
}

/** Both encodings of a fingerprint, as libsignal's `Fingerprint::new` yields them. */
export interface Fingerprint {
  /** 60 digits, identical on both sides. */
  displayable: string;
  /** The serialized CombinedFingerprints protobuf (mirror images on the two sides). */
  scannable: Uint8Array;
}

/**
 * Computes the fingerprint the local party shows and encodes for scanning.
 * `version` is the scannable format version (libsignal uses 2 for ACIs,
 * 1 for E.164s); `iterations` is normally 5200.
 */
export function createFingerprint(
  version: number,
  iterations: number,
  local: FingerprintParty,
  remote: FingerprintParty,
): Fingerprint {
  if (!Number.isInteger(version) || version < 0 || version > 0xffffffff) {
    throw new InvalidArgumentError(`fingerprint version must be a uint32, got ${version}`);
  }
  const localHash = fingerprintHash(iterations, local, 'local');
  const remoteHash = fingerprintHash(iterations, remote, 'remote');
  return {
    displayable: joinDisplayable(encodedDigits(localHash), encodedDigits(remoteHash)),
    scannable: encodeScannable(version, localHash.subarray(0, SCANNABLE_LENGTH), remoteHash.subarray(0, SCANNABLE_LENGTH)),
  };
}

function joinDisplayable(local: string, remote: string): string {
  // libsignal compares the digit strings (Rust String `<`, i.e. bytewise).
  return local < remote ? local + remote : remote + local;
}

/** The 60-digit safety number for (local, remote); symmetric in its parties. */
export function displayableFingerprint(iterations: number, local: FingerprintParty, remote: FingerprintParty): string {
  return joinDisplayable(
    encodedDigits(fingerprintHash(iterations, local, 'local')),
    encodedDigits(fingerprintHash(iterations, remote, 'remote')),
  );
}

/** The scannable (QR) encoding the local party shows. */
export function scannableFingerprint(
  version: number,
  iterations: number,
  local: FingerprintParty,
  remote: FingerprintParty,
): Uint8Array {
  return createFingerprint(version, iterations, local, remote).scannable;
}

/**
 * Serializes the CombinedFingerprints protobuf from the two 32-byte halves
 * (libsignal's `ScannableFingerprint::serialize`).
 */
export function encodeScannable(version: number, local: Uint8Array, remote: Uint8Array): Uint8Array {
  checkBytes('local fingerprint half', local, SCANNABLE_LENGTH);
  checkBytes('remote fingerprint half', remote, SCANNABLE_LENGTH);
  const w = new BinaryWriter();
  w.tag(1, WireType.Varint).uint32(version);
  w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).bytes(local).join();
  w.tag(3, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).bytes(remote).join();
  return w.finish();
}

interface DecodedScannable {
  version: number | undefined;
  local: Uint8Array | undefined;
  remote: Uint8Array | undefined;
}

function decodeLogical(bytes: Uint8Array): Uint8Array | undefined {
  const r = new BinaryReader(bytes);
  let content: Uint8Array | undefined;
  while (r.pos < r.len) {
    const [field, type] = r.tag();
    if (field === 1 && type === WireType.LengthDelimited) content = r.bytes();
    else r.skip(type, field);
  }
  return content;
}

/**
 * Reads CombinedFingerprints as libsignal (prost) does: the strict pre-check
 * first, then protobuf merge semantics — a repeated `local`/`remote`
 * sub-message merges into the earlier one, so a later occurrence without
 * `content` keeps the earlier content.
 */
function decodeScannable(bytes: Uint8Array, whose: string): DecodedScannable {
  const out: DecodedScannable = { version: undefined, local: undefined, remote: undefined };
  const fail = () => new FingerprintError('FINGERPRINT_PARSE_ERROR', `failed to decode ${whose} scannable fingerprint`);
  const canonical = strictWire(bytes, COMBINED_FINGERPRINTS_WIRE, fail);
  try {
    const r = new BinaryReader(canonical);
    while (r.pos < r.len) {
      const [field, type] = r.tag();
      if (field === 1 && type === WireType.Varint) out.version = r.uint32();
      else if (field === 2 && type === WireType.LengthDelimited) out.local = decodeLogical(r.bytes()) ?? out.local;
      else if (field === 3 && type === WireType.LengthDelimited) out.remote = decodeLogical(r.bytes()) ?? out.remote;
      else r.skip(type, field);
    }
  } catch {
    throw new FingerprintError('FINGERPRINT_PARSE_ERROR', `failed to decode ${whose} scannable fingerprint`);
  }
  return out;
}

/**
 * Compares our scannable fingerprint with one scanned from the peer, as
 * libsignal's `ScannableFingerprint::compare`: true iff their local half is
 * our remote half and vice versa (constant-time). Throws FingerprintError
 * FINGERPRINT_VERSION_MISMATCH if the versions differ, and
 * FINGERPRINT_PARSE_ERROR for malformed input.
 */
export function compareScannableFingerprints(ours: Uint8Array, theirs: Uint8Array): boolean {
  checkBytes('our scannable fingerprint', ours);
  checkBytes('their scannable fingerprint', theirs);
  const mine = decodeScannable(ours, 'our');
  if (mine.version === undefined || mine.local === undefined || mine.remote === undefined) {
    throw new FingerprintError('FINGERPRINT_PARSE_ERROR', 'our scannable fingerprint is missing a field');
  }
  const other = decodeScannable(theirs, 'their');
  const theirVersion = other.version ?? 0;
  if (theirVersion !== mine.version) {
    throw new FingerprintError(
      'FINGERPRINT_VERSION_MISMATCH',
      `fingerprint version mismatch: theirs ${theirVersion}, ours ${mine.version}`,
    );
  }
  if (other.local === undefined) throw new FingerprintError('FINGERPRINT_PARSE_ERROR', 'missing their local fingerprint');
  if (other.remote === undefined) throw new FingerprintError('FINGERPRINT_PARSE_ERROR', 'missing their remote fingerprint');
  const same1 = constantTimeEqual(other.local, mine.remote);
  const same2 = constantTimeEqual(other.remote, mine.local);
  return same1 && same2;
}
