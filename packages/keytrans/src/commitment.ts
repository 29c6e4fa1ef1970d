/**
 * Commitments to label values (draft-ietf-keytrans-protocol @526cc8a,
 * §"Commitment"; design §2.1 and §3.1):
 *
 *   commitment = HMAC-SHA256(Kc, CommitmentValue)
 *   struct { opaque opening[16]; opaque label<0..2^8-1>; uint32 version; UpdateValue update; } CommitmentValue
 *   struct { opaque value<0..2^32-1>; UpdateSuffix suffix; } UpdateValue   (suffix empty in contactMonitoring mode)
 *
 * with the fixed key Kc of suite 0x0002 (and Sealpost's 0xF001). The
 * opening is 16 fresh random bytes; deleting it (and the value) later makes
 * the commitment unopenable, which is how the design erases a key
 * (architecture §"Privacy Law"). The prefix tree stores only commitments.
 */
import { constantTimeEqual, fromHex, hmacSha256, randomBytes } from '@sealpost/protocol/primitives';
import { ByteWriter } from './codec.ts';
import { ensure } from './errors.ts';

/** Kc of KT_128_SHA256_Ed25519 (0x0002), reused by 0xF001. */
export const COMMITMENT_KEY = fromHex('d821f8790d97709796b4d7903357c3f5');
/** Nc: the opening length. */
export const OPENING_SIZE = 16;
export const COMMITMENT_SIZE = 32;
/** Labels are `opaque label<0..2^8-1>`. */
export const MAX_LABEL_SIZE = 255;
/** Values this package accepts (the wire allows 2^32 − 1; an identity key record is 34 bytes). */
export const MAX_VALUE_SIZE = 65_536;

export function checkLabel(label: Uint8Array): void {
  ensure(label instanceof Uint8Array && label.length <= MAX_LABEL_SIZE, 'INVALID_ARGUMENT', `a label is at most ${MAX_LABEL_SIZE} bytes`);
}

export function checkVersion(version: number): void {
  ensure(Number.isInteger(version) && version >= 0 && version <= 0xffff_ffff, 'INVALID_ARGUMENT', 'a version is a uint32');
}

function checkValue(value: Uint8Array): void {
  ensure(value instanceof Uint8Array && value.length <= MAX_VALUE_SIZE, 'INVALID_ARGUMENT', `a value is at most ${MAX_VALUE_SIZE} bytes`);
}

/** The UpdateValue encoding (contactMonitoring mode: no suffix). */
export function encodeUpdateValue(value: Uint8Array): Uint8Array {
  checkValue(value);
  return new ByteWriter().vector32(value).finish();
}

/** The CommitmentValue bytes the HMAC covers. */
export function commitmentValue(opening: Uint8Array, label: Uint8Array, version: number, value: Uint8Array): Uint8Array {
  ensure(opening instanceof Uint8Array && opening.length === OPENING_SIZE, 'INVALID_ARGUMENT', `an opening is ${OPENING_SIZE} bytes`);
  checkLabel(label);
  checkVersion(version);
  return new ByteWriter().bytes(opening).vector8(label).uint32(version).bytes(encodeUpdateValue(value)).finish();
}

/** The commitment to (label, version, value) under `opening`. */
export function computeCommitment(opening: Uint8Array, label: Uint8Array, version: number, value: Uint8Array): Uint8Array {
  return hmacSha256(COMMITMENT_KEY, commitmentValue(opening, label, version, value));
}

/** A fresh commitment: a random opening (or the one given) and the commitment it opens. */
export function commit(label: Uint8Array, version: number, value: Uint8Array, opening: Uint8Array = randomBytes(OPENING_SIZE)): { opening: Uint8Array; commitment: Uint8Array } {
  return { opening: opening.slice(), commitment: computeCommitment(opening, label, version, value) };
}

/** Throws COMMITMENT_MISMATCH unless `opening` opens `commitment` to (label, version, value). */
export function verifyCommitment(commitment: Uint8Array, opening: Uint8Array, label: Uint8Array, version: number, value: Uint8Array): void {
  ensure(commitment instanceof Uint8Array && commitment.length === COMMITMENT_SIZE, 'COMMITMENT_MISMATCH', `a commitment is ${COMMITMENT_SIZE} bytes`);
  ensure(constantTimeEqual(computeCommitment(opening, label, version, value), commitment), 'COMMITMENT_MISMATCH', 'the opening does not open the commitment');
}
