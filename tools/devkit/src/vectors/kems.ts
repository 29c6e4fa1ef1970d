/**
 * The two KEM-1024 variants the protocol implements, as one table the KEM
 * known-answer replay and the KEM unit tests both iterate: round-3 Kyber1024
 * (what libsignal's 0x08 keys are) and FIPS 203 ML-KEM-1024.
 */
import {
  type KemEncapsulation,
  type KemKeyPair,
  kyber1024Decapsulate,
  kyber1024Encapsulate,
  kyber1024KeyGen,
  mlkem1024Decapsulate,
  mlkem1024Encapsulate,
  mlkem1024KeyGen,
  sha3_256,
  shake256,
} from '@sealpost/protocol/primitives';

export interface Kem1024 {
  readonly name: string;
  /** Key generation from a 64-byte seed (random when absent). */
  keyGen(seed64?: Uint8Array): KemKeyPair;
  /** Encapsulation with 32 bytes of randomness (fresh when absent). */
  encapsulate(publicKey: Uint8Array, seed32?: Uint8Array): KemEncapsulation;
  decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  /** The implicit-rejection secret for a bad ciphertext `c` under the secret key's `z`. */
  rejection(z: Uint8Array, c: Uint8Array): Uint8Array;
}

export const KYBER1024: Kem1024 = {
  name: 'Kyber1024 (round 3)',
  keyGen: kyber1024KeyGen,
  encapsulate: kyber1024Encapsulate,
  decapsulate: kyber1024Decapsulate,
  // Round 3 implicit rejection: SHAKE-256(z || SHA3-256(c)).
  rejection: (z, c) => shake256(32, z, sha3_256(c)),
};

export const MLKEM1024: Kem1024 = {
  name: 'ML-KEM-1024',
  keyGen: mlkem1024KeyGen,
  encapsulate: mlkem1024Encapsulate,
  decapsulate: mlkem1024Decapsulate,
  // FIPS 203 implicit rejection: J(z || c) = SHAKE-256(z || c).
  rejection: (z, c) => shake256(32, z, c),
};
