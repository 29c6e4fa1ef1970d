/**
 * The ML-KEM-768 pieces SPQR needs that the primitives facade does not (yet)
 * export: noble's one-shot ML-KEM-768, the CRYSTALS NTT and SHAKE-128 matrix
 * expander from noble's public `_crystals.js`, and SHA3-512. Kept in one
 * file so it can move into primitives/ (owner H1) unchanged.
 */
import { genCrystals, XOF128 } from '@noble/post-quantum/_crystals.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { sha3_512 as nobleSha3_512 } from '@noble/hashes/sha3.js';

export const MLKEM_Q = 3329;
export const MLKEM_N = 256;

export const crystals = genCrystals({
  N: MLKEM_N,
  Q: MLKEM_Q,
  F: 3303,
  ROOT_OF_UNITY: 17,
  newPoly: (n: number) => new Uint16Array(n),
  brvBits: 7,
  isKyber: true,
});

/** SHAKE-128 reader over `rho || x || y` (FIPS 203 XOF). */
export const xof128 = XOF128;

export function sha3_512(...data: Uint8Array[]): Uint8Array {
  const h = nobleSha3_512.create();
  for (const d of data) h.update(d);
  return h.digest();
}

/** FIPS 203 ML-KEM-768 KeyGen_internal(d, z) from a 64-byte seed d‖z. */
export function mlkem768KeyGen(seed64: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  return ml_kem768.keygen(seed64);
}

/** FIPS 203 ML-KEM-768 Encaps_internal(ek, m). */
export function mlkem768Encapsulate(publicKey: Uint8Array, m: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  const r = ml_kem768.encapsulate(publicKey, m);
  return { cipherText: Uint8Array.from(r.cipherText), sharedSecret: Uint8Array.from(r.sharedSecret) };
}

/** FIPS 203 ML-KEM-768 Decaps(dk, c) (implicit rejection). */
export function mlkem768Decapsulate(secretKey: Uint8Array, cipherText: Uint8Array): Uint8Array {
  return Uint8Array.from(ml_kem768.decapsulate(cipherText, secretKey));
}
