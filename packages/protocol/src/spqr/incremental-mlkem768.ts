/**
 * Incremental (split) ML-KEM-768 encapsulation, as the ML-KEM Braid uses it.
 *
 * The encapsulation key is sent in two parts: the header `hdr` = rho ‖ H(ek)
 * (64 B) and `ek` = ByteEncode12(t̂) (1152 B, the standard key without rho).
 * The encapsulator can produce the first ciphertext part `ct1` (the u vector,
 * 960 B) and the shared secret from the header alone (encaps1); the second
 * part `ct2` (the v polynomial, 128 B) needs ek (encaps2). ct1 ‖ ct2 is the
 * standard FIPS 203 ciphertext, so decapsulation is standard ML-KEM.Decaps.
 *
 * Between the two steps the encapsulator keeps a 2080-byte state `es`:
 * r̂ (3×256 i16 LE) ‖ e2 (256 i16 LE) ‖ m (32), the layout libsignal stores.
 * Coefficients are written as centred representatives in [-(q-1)/2, (q-1)/2]
 * (byte-identical to libsignal-client 0.103's states, checked by the interop
 * probe); on reading, any i16 representative is reduced mod q.
 */
import { sha3_256, shake256 } from '../primitives/index.ts';
import {
  addMultiplyNtts,
  invNtt as invNttInPlace,
  MLKEM_N as N,
  MLKEM_Q as Q,
  mlkem768Decapsulate,
  mlkem768KeyGen,
  ntt as nttInPlace,
  sampleNtt,
  sha3_512,
} from './mlkem768-facade.ts';

export const HEADER_SIZE = 64;
export const ENCAPSULATION_KEY_SIZE = 1152;
export const DECAPSULATION_KEY_SIZE = 2400;
export const CIPHERTEXT1_SIZE = 960;
export const CIPHERTEXT2_SIZE = 128;
export const ENCAPSULATION_STATE_SIZE = 2080;
export const KEY_GENERATION_SEED_SIZE = 64;
export const ENCAPS_RANDOMNESS_SIZE = 32;
const K = 3;
const DK_HASH_OFFSET = ENCAPSULATION_KEY_SIZE + ENCAPSULATION_KEY_SIZE + 32; // after dk_PKE (1152) and ek (1184)
const DU = 10;
const DV = 4;

export interface IncrementalKeys {
  hdr: Uint8Array;
  ek: Uint8Array;
  dk: Uint8Array;
}

function need(name: string, b: Uint8Array, len: number): void {
  if (!(b instanceof Uint8Array) || b.length !== len) throw new RangeError(`${name} must be ${len} bytes`);
}

const mod = (a: number): number => ((a % Q) + Q) % Q;
/** The representative in [-(q-1)/2, (q-1)/2], as libcrux's Barrett reduction leaves it. */
const centered = (a: number): number => (a > (Q - 1) / 2 ? a - Q : a);

/** KeyGen from a 64-byte seed d ‖ z (FIPS 203 KeyGen_internal). */
export function generateKeys(seed64: Uint8Array): IncrementalKeys {
  need('seed', seed64, KEY_GENERATION_SEED_SIZE);
  const { publicKey, secretKey } = mlkem768KeyGen(seed64);
  const ek = publicKey.slice(0, ENCAPSULATION_KEY_SIZE);
  const rho = publicKey.slice(ENCAPSULATION_KEY_SIZE);
  const hdr = new Uint8Array(HEADER_SIZE);
  hdr.set(rho, 0);
  // FIPS 203 dk = dk_PKE ‖ ek ‖ H(ek) ‖ z: KeyGen has hashed ek already, so H(ek) is read from dk, not recomputed.
  hdr.set(secretKey.subarray(DK_HASH_OFFSET, DK_HASH_OFFSET + 32), 32);
  return { hdr, ek, dk: Uint8Array.from(secretKey) };
}

function prf(seed: Uint8Array, nonce: number): Uint8Array {
  return shake256(128, seed, Uint8Array.of(nonce)); // eta = 2: 64·eta bytes
}

function cbd2(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(N);
  for (let i = 0; i < N; i++) {
    const nib = (bytes[i >> 1]! >> ((i & 1) * 4)) & 0xf;
    out[i] = (nib & 1) + ((nib >> 1) & 1) - ((nib >> 2) & 1) - ((nib >> 3) & 1);
  }
  return out;
}

function toModQ(p: Int16Array): Uint16Array {
  const out = new Uint16Array(N);
  for (let i = 0; i < N; i++) out[i] = mod(p[i]!);
  return out;
}

const ntt = (p: Uint16Array): Uint16Array => nttInPlace(p.slice());
const invNtt = (p: Uint16Array): Uint16Array => invNttInPlace(p.slice());

function compressEncode(p: Uint16Array, d: number): Uint8Array {
  const out = new Uint8Array((d * N) / 8);
  const mask = (1 << d) - 1;
  let buf = 0, bits = 0, pos = 0;
  for (let i = 0; i < N; i++) {
    const c = Math.floor((p[i]! * 2 ** (d + 1) + Q) / (2 * Q)) & mask;
    buf |= c << bits;
    bits += d;
    for (; bits >= 8; bits -= 8, buf >>>= 8) out[pos++] = buf & 0xff;
  }
  return out;
}

function byteDecode12(b: Uint8Array): Uint16Array {
  const out = new Uint16Array(N);
  for (let i = 0; i < N / 2; i++) {
    const x = b[3 * i]!, y = b[3 * i + 1]!, z = b[3 * i + 2]!;
    out[2 * i] = x | ((y & 0xf) << 8);
    out[2 * i + 1] = (y >> 4) | (z << 4);
  }
  return out;
}

/** The ek of a header passes: H(ek ‖ rho) matches and every coefficient is < q (FIPS 203 modulus check). */
export function ekMatchesHeader(ek: Uint8Array, hdr: Uint8Array): boolean {
  if (ek.length !== ENCAPSULATION_KEY_SIZE || hdr.length !== HEADER_SIZE) return false;
  for (let k = 0; k < K; k++) {
    const coeffs = byteDecode12(ek.subarray(384 * k, 384 * (k + 1)));
    if (coeffs.some((c) => c >= Q)) return false;
  }
  const full = new Uint8Array(ENCAPSULATION_KEY_SIZE + 32);
  full.set(ek);
  full.set(hdr.subarray(0, 32), ENCAPSULATION_KEY_SIZE);
  const h = sha3_256(full);
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= h[i]! ^ hdr[32 + i]!;
  return diff === 0;
}

/** First half of encapsulation: needs only the header and 32 bytes of randomness m. */
export function encaps1(hdr: Uint8Array, m: Uint8Array): { ct1: Uint8Array; es: Uint8Array; sharedSecret: Uint8Array } {
  need('hdr', hdr, HEADER_SIZE);
  need('m', m, ENCAPS_RANDOMNESS_SIZE);
  const rho = hdr.subarray(0, 32);
  const kr = sha3_512(m, hdr.subarray(32, 64));
  const r = kr.subarray(32, 64);
  const rHat: Uint16Array[] = [];
  for (let i = 0; i < K; i++) rHat.push(ntt(toModQ(cbd2(prf(r, i)))));
  const ct1 = new Uint8Array(CIPHERTEXT1_SIZE);
  for (let i = 0; i < K; i++) {
    const acc = new Uint16Array(N);
    for (let j = 0; j < K; j++) addMultiplyNtts(acc, sampleNtt(rho, i, j), rHat[j]!);
    const u = invNtt(acc);
    const e1 = cbd2(prf(r, K + i));
    for (let c = 0; c < N; c++) u[c] = mod(u[c]! + e1[c]!);
    ct1.set(compressEncode(u, DU), ((DU * N) / 8) * i);
  }
  const e2 = cbd2(prf(r, 2 * K));
  const es = new Uint8Array(ENCAPSULATION_STATE_SIZE);
  const view = new DataView(es.buffer);
  for (let i = 0; i < K; i++) for (let c = 0; c < N; c++) view.setInt16(2 * (N * i + c), centered(rHat[i]![c]!), true);
  for (let c = 0; c < N; c++) view.setInt16(2 * (N * K + c), e2[c]!, true);
  es.set(m, 2 * N * (K + 1));
  return { ct1, es, sharedSecret: kr.slice(0, 32) };
}

/**
 * Undoes libcrux issue 1275 (an encapsulation state written with byte-swapped
 * i16 values): judged from the e2 coefficients, which must lie in [-2, 2].
 */
export function repairSwappedEncapsState(es: Uint8Array): Uint8Array {
  need('es', es, ENCAPSULATION_STATE_SIZE);
  const view = new DataView(es.buffer, es.byteOffset, es.byteLength);
  for (let off = 2 * N * K; off < 2 * N * (K + 1); off += 2) {
    const v = view.getInt16(off, true);
    if (v === 0 || v === -1) continue;
    if (v === 1 || v === 2 || v === -2) return es;
    if (v === 0x0100 || v === 0x0200 || v === -257) {
      const fixed = es.slice();
      for (let i = 0; i < fixed.length - 32; i += 2) [fixed[i], fixed[i + 1]] = [fixed[i + 1]!, fixed[i]!];
      return fixed;
    }
    return es;
  }
  return es;
}

/** Second half: ct2 from the 1152-byte ek and the state es written by encaps1. */
export function encaps2(ek: Uint8Array, esIn: Uint8Array): Uint8Array {
  need('ek', ek, ENCAPSULATION_KEY_SIZE);
  const es = repairSwappedEncapsState(esIn);
  const view = new DataView(es.buffer, es.byteOffset, es.byteLength);
  const acc = new Uint16Array(N);
  for (let i = 0; i < K; i++) {
    const tHat = byteDecode12(ek.subarray(384 * i, 384 * (i + 1))).map((c) => (c >= Q ? c - Q : c));
    const rHat = new Uint16Array(N);
    for (let c = 0; c < N; c++) rHat[c] = mod(view.getInt16(2 * (N * i + c), true));
    addMultiplyNtts(acc, tHat, rHat);
  }
  const v = invNtt(acc);
  const m = es.subarray(2 * N * (K + 1));
  for (let c = 0; c < N; c++) {
    const e2 = view.getInt16(2 * (N * K + c), true);
    const bit = (m[c >> 3]! >> (c & 7)) & 1;
    v[c] = mod(v[c]! + e2 + bit * ((Q + 1) >> 1));
  }
  return compressEncode(v, DV);
}

/** Standard ML-KEM-768 decapsulation of ct1 ‖ ct2. */
export function decaps(dk: Uint8Array, ct1: Uint8Array, ct2: Uint8Array): Uint8Array {
  need('dk', dk, DECAPSULATION_KEY_SIZE);
  need('ct1', ct1, CIPHERTEXT1_SIZE);
  need('ct2', ct2, CIPHERTEXT2_SIZE);
  const ct = new Uint8Array(CIPHERTEXT1_SIZE + CIPHERTEXT2_SIZE);
  ct.set(ct1);
  ct.set(ct2, CIPHERTEXT1_SIZE);
  return mlkem768Decapsulate(dk, ct);
}
