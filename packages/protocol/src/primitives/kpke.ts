/**
 * K-PKE (FIPS 203 §5), the lattice scheme under both round-3 Kyber and
 * ML-KEM, over typed arrays, for rank K ∈ {3, 4} with η1 = η2 = 2 (the
 * ML-KEM-768 / -1024 and Kyber768 / 1024 parameter sets).
 *
 * Why ours and not @noble/post-quantum's: noble's ML-KEM hashes with its
 * JavaScript Keccak and cannot be given other hash functions (its factory is
 * not exported). Here SHAKE-128 (matrix expansion), SHAKE-256 (noise PRF)
 * come from the primitives backend — OpenSSL on node (about 4× faster per
 * call than JavaScript Keccak), @noble/hashes on web — and the NTT is
 * FIPS 203 Algorithms 9–11 written out over Uint16Array with exact integer
 * arithmetic (all intermediates < 2^31). Everything else is a transcription
 * of Algorithms 6–8 and 13–15; the round-3 Kyber1024 KATs (libcrux, 100
 * entries) and the ML-KEM KATs prove it byte for byte.
 *
 * Not constant time in the strict sense (no JavaScript is); no branch or
 * index depends on secret data except through `%`, as in noble's code.
 */
import { backend } from '#primitives-backend';
import { shake128, shake256 } from './hash.ts';

export const N = 256;
export const Q = 3329;
const ETA = 2;
/** 128^-1 mod q: the inverse NTT's scaling. */
const F = 3303;

function pow(base: number, exp: number): number {
  let r = 1;
  for (let i = 0; i < exp; i++) r = (r * base) % Q;
  return r;
}
const bitRev7 = (i: number): number => {
  let r = 0;
  for (let b = 0; b < 7; b++) r |= ((i >> b) & 1) << (6 - b);
  return r;
};
/** ζ^BitRev7(i), ζ = 17 (Algorithms 9, 10). */
const ZETAS = Uint16Array.from({ length: 128 }, (_, i) => pow(17, bitRev7(i)));
/** ζ^(2·BitRev7(i)+1) (Algorithm 11). */
const GAMMAS = Uint16Array.from({ length: 128 }, (_, i) => pow(17, 2 * bitRev7(i) + 1));

/** Algorithm 9, in place; coefficients in [0, q). */
export function ntt(f: Uint16Array): Uint16Array {
  let k = 1;
  for (let len = 128; len >= 2; len >>= 1) {
    for (let start = 0; start < N; start += 2 * len) {
      const z = ZETAS[k++]!;
      for (let j = start; j < start + len; j++) {
        const t = (z * f[j + len]!) % Q;
        const a = f[j]!;
        const d = a - t;
        f[j + len] = d < 0 ? d + Q : d;
        const s = a + t;
        f[j] = s >= Q ? s - Q : s;
      }
    }
  }
  return f;
}

/** Algorithm 10, in place; coefficients in [0, q). */
export function invNtt(f: Uint16Array): Uint16Array {
  let k = 127;
  for (let len = 2; len <= 128; len <<= 1) {
    for (let start = 0; start < N; start += 2 * len) {
      const z = ZETAS[k--]!;
      for (let j = start; j < start + len; j++) {
        const t = f[j]!;
        const u = f[j + len]!;
        const s = t + u;
        f[j] = s >= Q ? s - Q : s;
        const d = u - t;
        f[j + len] = (z * (d < 0 ? d + Q : d)) % Q;
      }
    }
  }
  for (let i = 0; i < N; i++) f[i] = (f[i]! * F) % Q;
  return f;
}

/** acc += f ∘ g in T_q (Algorithms 11, 12). */
export function addMultiplyNtts(acc: Uint16Array, f: Uint16Array, g: Uint16Array): void {
  for (let i = 0; i < N / 2; i++) {
    const a0 = f[2 * i]!, a1 = f[2 * i + 1]!, b0 = g[2 * i]!, b1 = g[2 * i + 1]!;
    acc[2 * i] = (acc[2 * i]! + a0 * b0 + ((a1 * b1) % Q) * GAMMAS[i]!) % Q;
    acc[2 * i + 1] = (acc[2 * i + 1]! + a0 * b1 + a1 * b0) % Q;
  }
}

/** a += b, in place. */
function addInPlace(a: Uint16Array, b: Uint16Array): void {
  for (let i = 0; i < N; i++) {
    const s = a[i]! + b[i]!;
    a[i] = s >= Q ? s - Q : s;
  }
}

/**
 * SHAKE-128 bytes first drawn per matrix entry. 256 coefficients need 315
 * candidates on average (81 % accepted). On node a call's fixed cost
 * dominates, so 4 blocks (448 candidates: practically never short); in
 * JavaScript Keccak every block counts, so 3 (336 candidates: short in a
 * few per cent of entries, which then draw 6 blocks).
 */
const XOF_FIRST_LENGTH = (backend.name === 'node' ? 4 : 3) * 168;

/** Algorithm 7: SampleNTT(ρ ‖ a ‖ b), rejection sampling from SHAKE-128; longer output only if 672 bytes do not suffice. */
export function sampleNtt(rho: Uint8Array, a: number, b: number): Uint16Array {
  const suffix = Uint8Array.of(a, b);
  const r = new Uint16Array(N);
  let length = XOF_FIRST_LENGTH;
  let bytes = shake128(length, rho, suffix);
  for (let j = 0, i = 0; j < N; i += 3) {
    if (i + 3 > bytes.length) {
      length *= 2; // SHAKE output is a stream: the longer output starts with the bytes already read
      bytes = shake128(length, rho, suffix);
    }
    const d1 = bytes[i]! | ((bytes[i + 1]! & 0x0f) << 8);
    const d2 = (bytes[i + 1]! >> 4) | (bytes[i + 2]! << 4);
    if (d1 < Q) r[j++] = d1;
    if (d2 < Q && j < N) r[j++] = d2;
  }
  return r;
}

/** Algorithm 8 for η = 2 on PRF_2(s, nonce) = SHAKE-256(s ‖ nonce, 128); coefficients mod q. */
export function sampleCbd2(seed: Uint8Array, nonce: number): Uint16Array {
  const bytes = shake256(64 * ETA, seed, Uint8Array.of(nonce));
  const r = new Uint16Array(N);
  for (let i = 0; i < N; i++) {
    const nib = (bytes[i >> 1]! >> ((i & 1) << 2)) & 0xf;
    const x = (nib & 1) + ((nib >> 1) & 1) - ((nib >> 2) & 1) - ((nib >> 3) & 1);
    r[i] = x < 0 ? x + Q : x;
  }
  bytes.fill(0);
  return r;
}

/** ByteEncode_d of (already compressed) d-bit values into out at offset. */
function byteEncode(values: Uint16Array, d: number, out: Uint8Array, offset: number): void {
  let buf = 0, bits = 0, pos = offset;
  for (let i = 0; i < N; i++) {
    buf |= values[i]! << bits;
    bits += d;
    for (; bits >= 8; bits -= 8, buf >>>= 8) out[pos++] = buf & 0xff;
  }
}

/** ByteDecode_d of 32·d bytes. */
function byteDecode(bytes: Uint8Array, d: number): Uint16Array {
  const r = new Uint16Array(N);
  const mask = (1 << d) - 1;
  let buf = 0, bits = 0, pos = 0;
  for (let i = 0; i < bytes.length; i++) {
    buf |= bytes[i]! << bits;
    bits += 8;
    for (; bits >= d; bits -= d, buf >>>= d) r[pos++] = buf & mask;
  }
  return r;
}

/** ByteDecode_12 reduced mod q (FIPS 203 §4.2.1: a 12-bit value is read modulo q). */
export function byteDecode12(bytes: Uint8Array): Uint16Array {
  const r = byteDecode(bytes, 12);
  for (let i = 0; i < N; i++) if (r[i]! >= Q) r[i] = r[i]! - Q;
  return r;
}

/** Compress_d in place: round(2^d · x / q) mod 2^d. */
function compress(f: Uint16Array, d: number): Uint16Array {
  const mask = (1 << d) - 1;
  for (let i = 0; i < N; i++) f[i] = Math.floor((f[i]! * 2 ** (d + 1) + Q) / (2 * Q)) & mask;
  return f;
}

/** Decompress_d in place: round(q · y / 2^d). */
function decompress(f: Uint16Array, d: number): Uint16Array {
  for (let i = 0; i < N; i++) f[i] = (f[i]! * Q + (1 << (d - 1))) >>> d;
  return f;
}

/** A K-PKE parameter set. */
export interface KPkeParams {
  readonly k: number;
  readonly du: number;
  readonly dv: number;
}

export const KPKE_768: KPkeParams = { k: 3, du: 10, dv: 4 };
export const KPKE_1024: KPkeParams = { k: 4, du: 11, dv: 5 };

/** Public (encryption) key bytes: 384·k + 32. */
export const kpkePublicKeyLength = (p: KPkeParams): number => 384 * p.k + 32;
/** Ciphertext bytes: 32·(du·k + dv). */
export const kpkeCiphertextLength = (p: KPkeParams): number => 32 * (p.du * p.k + p.dv);

/** Algorithm 13 from (ρ, σ): ek = ByteEncode12(t̂) ‖ ρ, dk = ByteEncode12(ŝ); t̂ = Â∘ŝ + ê, Â[i][j] = SampleNTT(ρ ‖ j ‖ i). */
export function kpkeKeyGen(p: KPkeParams, rho: Uint8Array, sigma: Uint8Array): { ek: Uint8Array; dk: Uint8Array } {
  const { k } = p;
  const sHat: Uint16Array[] = [];
  for (let i = 0; i < k; i++) sHat.push(ntt(sampleCbd2(sigma, i)));
  const ek = new Uint8Array(384 * k + 32);
  const dk = new Uint8Array(384 * k);
  for (let i = 0; i < k; i++) {
    const t = ntt(sampleCbd2(sigma, k + i));
    for (let j = 0; j < k; j++) addMultiplyNtts(t, sampleNtt(rho, j, i), sHat[j]!);
    byteEncode(t, 12, ek, 384 * i);
    byteEncode(sHat[i]!, 12, dk, 384 * i);
  }
  ek.set(rho, 384 * k);
  for (const s of sHat) s.fill(0);
  return { ek, dk };
}

/** Algorithm 14: c = ByteEncode_du(Compress_du(u)) ‖ ByteEncode_dv(Compress_dv(v)) for message m (32 B) and coins r (32 B). */
export function kpkeEncrypt(p: KPkeParams, ek: Uint8Array, m: Uint8Array, r: Uint8Array): Uint8Array {
  const { k, du, dv } = p;
  const rho = ek.subarray(384 * k, 384 * k + 32);
  const rHat: Uint16Array[] = [];
  for (let i = 0; i < k; i++) rHat.push(ntt(sampleCbd2(r, i)));
  const c = new Uint8Array(kpkeCiphertextLength(p));
  const vAcc = new Uint16Array(N);
  for (let i = 0; i < k; i++) {
    const acc = new Uint16Array(N);
    for (let j = 0; j < k; j++) addMultiplyNtts(acc, sampleNtt(rho, i, j), rHat[j]!);
    const u = invNtt(acc);
    addInPlace(u, sampleCbd2(r, k + i));
    byteEncode(compress(u, du), du, c, 32 * du * i);
    addMultiplyNtts(vAcc, byteDecode12(ek.subarray(384 * i, 384 * (i + 1))), rHat[i]!);
  }
  const v = invNtt(vAcc);
  addInPlace(v, sampleCbd2(r, 2 * k));
  for (let i = 0; i < N; i++) {
    const s = v[i]! + ((m[i >> 3]! >> (i & 7)) & 1) * ((Q + 1) >> 1); // Decompress_1(ByteDecode_1(m))
    v[i] = s >= Q ? s - Q : s;
  }
  byteEncode(compress(v, dv), dv, c, 32 * du * k);
  for (const x of rHat) x.fill(0);
  return c;
}

/** Algorithm 15: m = ByteEncode_1(Compress_1(v' − NTT^-1(ŝ ∘ NTT(u')))). */
export function kpkeDecrypt(p: KPkeParams, dk: Uint8Array, c: Uint8Array): Uint8Array {
  const { k, du, dv } = p;
  const acc = new Uint16Array(N);
  for (let i = 0; i < k; i++) {
    const u = ntt(decompress(byteDecode(c.subarray(32 * du * i, 32 * du * (i + 1)), du), du));
    const s = byteDecode12(dk.subarray(384 * i, 384 * (i + 1)));
    addMultiplyNtts(acc, s, u);
    s.fill(0);
  }
  const w = decompress(byteDecode(c.subarray(32 * du * k, 32 * (du * k + dv)), dv), dv);
  invNtt(acc);
  const m = new Uint8Array(32);
  for (let i = 0; i < N; i++) {
    const d = w[i]! - acc[i]!;
    const x = d < 0 ? d + Q : d;
    m[i >> 3]! |= (Math.floor((4 * x + Q) / (2 * Q)) & 1) << (i & 7);
  }
  acc.fill(0);
  w.fill(0);
  return m;
}
