/**
 * Turning an upload's JSON into checked keys, cheapest checks first: strict
 * base64, right lengths and type bytes, no repeated ids (`decodeKeyUpload`);
 * the domain then checks ids against what is stored and the per-device cap;
 * only then is every signature verified against the account's identity key
 * (`verifyKeyUpload`: XEdDSA over the serialized, type-prefixed public key,
 * as libsignal signs prekeys). Anything wrong rejects the whole upload.
 */
import { xeddsaVerify } from '@sealpost/protocol/primitives';
import { badRequest, KeyServerError } from './errors.ts';
import { decodeBase64Field } from '@sealpost/service-kit';
import { decodeEcPublicKey, decodeKyberPublicKey, SIGNATURE_LENGTH } from './wire-keys.ts';
import type { SignatureVerifier } from './domain/deps.ts';
import type { EcPreKey, KeyUpload, SignedPreKey } from './store/key-store.ts';

/** JSON of an unsigned EC one-time prekey. */
export interface EcPreKeyJson {
  keyId: number;
  publicKey: string;
}

/** JSON of a signed prekey (EC signed, Kyber last-resort or Kyber one-time). */
export interface SignedPreKeyJson extends EcPreKeyJson {
  signature: string;
}

/** JSON of a key upload. */
export interface KeyUploadJson {
  signedPreKey?: SignedPreKeyJson;
  pqLastResortPreKey?: SignedPreKeyJson;
  preKeys?: EcPreKeyJson[];
  pqPreKeys?: SignedPreKeyJson[];
}

/** 422, as Signal-Server answers a bad prekey signature. */
function invalidSignature(field: string): KeyServerError {
  return new KeyServerError(422, 'INVALID_SIGNATURE', `${field}: signature does not verify with the account identity key`);
}

function decodeSigned(field: string, json: SignedPreKeyJson, kind: 'ec' | 'kyber'): SignedPreKey & { field: string } {
  const publicKey = kind === 'ec' ? decodeEcPublicKey(`${field}.publicKey`, json.publicKey) : decodeKyberPublicKey(`${field}.publicKey`, json.publicKey);
  const signature = decodeBase64Field(`${field}.signature`, json.signature, SIGNATURE_LENGTH);
  return { field, keyId: json.keyId, publicKey, signature };
}

/** 400 `DUPLICATE_KEY_ID` when a key id repeats within `keys`. */
export function noRepeatedIds(field: string, keys: readonly { keyId: number }[]): void {
  const seen = new Set<number>();
  for (const k of keys) {
    if (seen.has(k.keyId)) throw new KeyServerError(400, 'DUPLICATE_KEY_ID', `${field} repeats key id ${k.keyId}`);
    seen.add(k.keyId);
  }
}

/** A decoded upload whose signatures are not yet checked. */
export interface DecodedKeyUpload {
  upload: KeyUpload;
  /** Every signed key, in field order. */
  signed: (SignedPreKey & { field: string })[];
}

/**
 * The cheap half: strict base64, lengths, type bytes, no repeated ids, not
 * empty. Costs no signature verification (schemas already bounded sizes and
 * counts). Throws a 400 `KeyServerError` on any problem.
 */
export function decodeKeyUpload(json: KeyUploadJson): DecodedKeyUpload {
  const upload: KeyUpload = {};
  const signed: (SignedPreKey & { field: string })[] = [];
  if (json.preKeys !== undefined) noRepeatedIds('preKeys', json.preKeys);
  if (json.pqPreKeys !== undefined) noRepeatedIds('pqPreKeys', json.pqPreKeys);
  if (json.signedPreKey !== undefined) {
    signed.push((upload.signedPreKey = decodeSigned('signedPreKey', json.signedPreKey, 'ec')));
  }
  if (json.pqLastResortPreKey !== undefined) {
    signed.push((upload.pqLastResortPreKey = decodeSigned('pqLastResortPreKey', json.pqLastResortPreKey, 'kyber')));
  }
  if (json.preKeys !== undefined) {
    const preKeys: EcPreKey[] = json.preKeys.map((k, i) => ({ keyId: k.keyId, publicKey: decodeEcPublicKey(`preKeys[${i}].publicKey`, k.publicKey) }));
    if (preKeys.length > 0) upload.preKeys = preKeys;
  }
  if (json.pqPreKeys !== undefined) {
    const pqPreKeys = json.pqPreKeys.map((k, i) => decodeSigned(`pqPreKeys[${i}]`, k, 'kyber'));
    if (pqPreKeys.length > 0) upload.pqPreKeys = pqPreKeys;
    signed.push(...pqPreKeys);
  }
  if (upload.signedPreKey === undefined && upload.pqLastResortPreKey === undefined && !upload.preKeys && !upload.pqPreKeys) {
    throw badRequest('EMPTY_UPLOAD', 'upload carries no keys');
  }
  return { upload, signed };
}

/**
 * The expensive half: every signature against the identity key (33 bytes,
 * 0x05-prefixed). Throws 422 `INVALID_SIGNATURE` at the first bad one.
 */
export function verifyKeyUpload(decoded: DecodedKeyUpload, identityKey: Uint8Array, verify: SignatureVerifier = xeddsaVerify): KeyUpload {
  const identityRaw = identityKey.subarray(1);
  for (const k of decoded.signed) {
    if (!verify(identityRaw, k.publicKey, k.signature)) throw invalidSignature(k.field);
  }
  return decoded.upload;
}

/**
 * Decodes and verifies an upload for the account whose identity key is
 * `identityKey` (33 bytes). Throws a 4xx `KeyServerError` on any problem;
 * a malformed request costs no signature checks.
 */
export function checkKeyUpload(json: KeyUploadJson, identityKey: Uint8Array, verify: SignatureVerifier = xeddsaVerify): KeyUpload {
  return verifyKeyUpload(decodeKeyUpload(json), identityKey, verify);
}
