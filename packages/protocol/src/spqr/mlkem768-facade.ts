/**
 * The ML-KEM-768 pieces SPQR needs: the one-shot KEM and the K-PKE helpers
 * the split encapsulation (incremental-mlkem768.ts) is built from. Since
 * issue 19 they are the primitives' K-PKE (primitives/kpke.ts,
 * kem-from-kpke.ts: SHA-3/SHAKE from the primitives backend, so OpenSSL on
 * node) rather than @noble/post-quantum's ml_kem768 and _crystals NTT,
 * which hash in JavaScript. The libcrux FIPS 203 ML-KEM-768 KATs
 * (incremental-mlkem768.test.ts) and the libsignal 0.103 interop tests
 * check them.
 */
import { KPKE_768, N, Q, addMultiplyNtts, invNtt, ntt, sampleNtt } from '../primitives/kpke.ts';
import { mlkemDecaps, mlkemEncaps, mlkemKeyGen } from '../primitives/kem-from-kpke.ts';

export { sha3_512 } from '../primitives/index.ts';
export { addMultiplyNtts, invNtt, ntt, sampleNtt };

export const MLKEM_Q = Q;
export const MLKEM_N = N;

/** FIPS 203 ML-KEM-768 KeyGen_internal(d, z) from a 64-byte seed d‖z. */
export function mlkem768KeyGen(seed64: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const { publicKey, secretKey } = mlkemKeyGen(KPKE_768, seed64);
  return { publicKey, secretKey };
}

/** FIPS 203 ML-KEM-768 Encaps_internal(ek, m). */
export function mlkem768Encapsulate(publicKey: Uint8Array, m: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  const { ciphertext, sharedSecret } = mlkemEncaps(KPKE_768, publicKey, m);
  return { cipherText: ciphertext, sharedSecret };
}

/** FIPS 203 ML-KEM-768 Decaps(dk, c) (implicit rejection). */
export function mlkem768Decapsulate(secretKey: Uint8Array, cipherText: Uint8Array): Uint8Array {
  return mlkemDecaps(KPKE_768, secretKey, cipherText);
}
