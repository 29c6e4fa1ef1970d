import { describe, expect, it } from 'vitest';
import { sha3_256 } from '../../src/primitives/index.ts';
import * as kem from '../../src/spqr/incremental-mlkem768.ts';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { mlkem768Decapsulate, mlkem768Encapsulate, mlkem768KeyGen } from '../../src/spqr/mlkem768-facade.ts';
import { hex, seededRandom, sharedVectors, unhex } from './support.ts';

function headerOf(ek1184: Uint8Array): Uint8Array {
  const hdr = new Uint8Array(64);
  hdr.set(ek1184.subarray(1152, 1184));
  hdr.set(sha3_256(ek1184), 32);
  return hdr;
}

function splitEncaps(hdr: Uint8Array, ek: Uint8Array, m: Uint8Array) {
  const e1 = kem.encaps1(hdr, m);
  const ct2 = kem.encaps2(ek, e1.es);
  const ct = new Uint8Array(1088);
  ct.set(e1.ct1);
  ct.set(ct2, 960);
  return { ct, ss: e1.sharedSecret, e1, ct2 };
}

describe('incremental ML-KEM-768', () => {
  it('header/ek split of keygen: hdr = rho ‖ H(ek), ek = first 1152 bytes', () => {
    const keys = kem.generateKeys(seededRandom(11)(64));
    expect(keys.hdr).toHaveLength(64);
    expect(keys.ek).toHaveLength(1152);
    expect(keys.dk).toHaveLength(2400);
    const full = keys.dk.subarray(1152, 2336); // dk_pke ‖ ek ‖ H(ek) ‖ z
    expect(hex(full.subarray(0, 1152))).toBe(hex(keys.ek));
    expect(hex(keys.hdr)).toBe(hex(headerOf(full)));
    expect(kem.ekMatchesHeader(keys.ek, keys.hdr)).toBe(true);
  });

  it('encaps1 + encaps2 equals noble one-shot encapsulation byte for byte (50 key pairs)', () => {
    const rnd = seededRandom(12);
    for (let i = 0; i < 50; i++) {
      const keys = kem.generateKeys(rnd(64));
      const m = rnd(32);
      const mine = splitEncaps(keys.hdr, keys.ek, m);
      const full = new Uint8Array(1184);
      full.set(keys.ek);
      full.set(keys.hdr.subarray(0, 32), 1152);
      const ref = ml_kem768.encapsulate(full, m);
      expect(hex(mine.ct)).toBe(hex(ref.cipherText));
      expect(hex(mine.ss)).toBe(hex(ref.sharedSecret));
      expect(hex(kem.decaps(keys.dk, mine.e1.ct1, mine.ct2))).toBe(hex(mine.ss));
      expect(hex(mine.e1.es.subarray(2048))).toBe(hex(m));
    }
  });

  it('our one-shot ML-KEM-768 (K-PKE on the backend SHA-3) equals noble ml_kem768: keygen, encaps, decaps, implicit rejection', () => {
    const rnd = seededRandom(14);
    for (let i = 0; i < 30; i++) {
      const seed = rnd(64);
      const ours = mlkem768KeyGen(seed);
      const ref = ml_kem768.keygen(seed);
      expect(hex(ours.publicKey)).toBe(hex(ref.publicKey));
      expect(hex(ours.secretKey)).toBe(hex(ref.secretKey));
      const m = rnd(32);
      const enc = mlkem768Encapsulate(ours.publicKey, m);
      const refEnc = ml_kem768.encapsulate(ref.publicKey, m);
      expect(hex(enc.cipherText)).toBe(hex(refEnc.cipherText));
      expect(hex(enc.sharedSecret)).toBe(hex(refEnc.sharedSecret));
      expect(hex(mlkem768Decapsulate(ours.secretKey, enc.cipherText))).toBe(hex(enc.sharedSecret));
      const bad = enc.cipherText.slice();
      bad[i * 31 % bad.length]! ^= 1 << (i % 8);
      const rejected = mlkem768Decapsulate(ours.secretKey, bad);
      expect(hex(rejected)).toBe(hex(ml_kem768.decapsulate(bad, ref.secretKey)));
      expect(hex(rejected)).not.toBe(hex(enc.sharedSecret));
    }
  });

  it('encapsulation state: centred r̂, signed e2 in [-2, 2]; a byte-swapped state (libcrux #1275) is repaired', () => {
    const rnd = seededRandom(13);
    const keys = kem.generateKeys(rnd(64));
    const e1 = kem.encaps1(keys.hdr, rnd(32));
    const view = new DataView(e1.es.buffer);
    for (let c = 0; c < 256; c++) expect(Math.abs(view.getInt16(1536 + 2 * c, true))).toBeLessThanOrEqual(2);
    for (let c = 0; c < 768; c++) expect(Math.abs(view.getInt16(2 * c, true))).toBeLessThanOrEqual(1664);
    const swapped = e1.es.slice();
    for (let i = 0; i < swapped.length - 32; i += 2) [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
    expect(hex(kem.repairSwappedEncapsState(swapped))).toBe(hex(e1.es));
    expect(hex(kem.encaps2(keys.ek, swapped))).toBe(hex(kem.encaps2(keys.ek, e1.es)));
    // any i16 representative of r̂ mod q gives the same ct2 (libcrux keeps signed Barrett values)
    const shifted = e1.es.slice();
    const sv = new DataView(shifted.buffer);
    for (let c = 0; c < 768; c++) {
      const v = sv.getInt16(2 * c, true);
      if (v < 0) sv.setInt16(2 * c, v + 3329, true); // the canonical representative instead
    }
    expect(hex(kem.encaps2(keys.ek, shifted))).toBe(hex(kem.encaps2(keys.ek, e1.es)));
  });

  it('rejects an ek that does not match its header', () => {
    const keys = kem.generateKeys(seededRandom(14)(64));
    const bad = keys.ek.slice();
    bad[5]! ^= 1;
    expect(kem.ekMatchesHeader(bad, keys.hdr)).toBe(false);
    expect(kem.ekMatchesHeader(keys.ek.subarray(0, 1151), keys.hdr)).toBe(false);
  });
});

interface EncapsFile {
  testGroups: { tests: { tcId: number; m: string; ek: string; c: string; K: string; result: string }[] }[];
}
interface KemFile {
  testGroups: { tests: { tcId: number; seed: string; ek?: string; c: string; K: string; result: string }[] }[];
}
interface KeygenFile {
  testGroups: { tests: { tcId: number; seed: string; ek: string; dk: string }[] }[];
}
interface NistKat {
  key_generation_seed: string;
  sha3_256_hash_of_public_key: string;
  sha3_256_hash_of_secret_key: string;
  encapsulation_seed: string;
  sha3_256_hash_of_ciphertext: string;
  shared_secret: string;
}

describe('ML-KEM-768 published vectors through the split API', () => {
  it('Wycheproof mlkem_768_encaps_test: valid cases reproduce c and K; invalid keys are refused', () => {
    const file = sharedVectors<EncapsFile>('wycheproof/mlkem_768_encaps_test.json');
    let valid = 0;
    let invalid = 0;
    for (const t of file.testGroups.flatMap((g) => g.tests)) {
      const ek = unhex(t.ek);
      if (t.result === 'valid') {
        const r = splitEncaps(headerOf(ek), ek.subarray(0, 1152), unhex(t.m));
        expect(hex(r.ct), `tcId ${t.tcId}`).toBe(t.c);
        expect(hex(r.ss), `tcId ${t.tcId}`).toBe(t.K);
        valid++;
      } else {
        const ok = ek.length === 1184 && kem.ekMatchesHeader(ek.subarray(0, 1152), headerOf(ek));
        expect(ok, `tcId ${t.tcId}`).toBe(false);
        invalid++;
      }
    }
    expect(valid).toBe(133);
    expect(invalid).toBe(132);
  });

  it('Wycheproof mlkem_768_keygen_seed_test: hdr/ek/dk from the seed', () => {
    const file = sharedVectors<KeygenFile>('wycheproof/mlkem_768_keygen_seed_test.json');
    const tests = file.testGroups.flatMap((g) => g.tests);
    for (const t of tests) {
      const keys = kem.generateKeys(unhex(t.seed));
      expect(hex(keys.ek)).toBe(t.ek.slice(0, 2304));
      expect(hex(keys.hdr)).toBe(hex(headerOf(unhex(t.ek))));
      expect(hex(keys.dk)).toBe(t.dk);
    }
    expect(tests).toHaveLength(100);
  });

  it('Wycheproof mlkem_768_test: keygen from seed, then decapsulate ct1 ‖ ct2', () => {
    const file = sharedVectors<KemFile>('wycheproof/mlkem_768_test.json');
    let checked = 0;
    for (const t of file.testGroups.flatMap((g) => g.tests)) {
      const seed = unhex(t.seed);
      const c = unhex(t.c);
      if (t.result === 'valid') {
        const keys = kem.generateKeys(seed);
        expect(hex(keys.hdr)).toBe(hex(headerOf(unhex(t.ek!))));
        expect(hex(kem.decaps(keys.dk, c.subarray(0, 960), c.subarray(960)))).toBe(t.K);
      } else {
        expect(() => kem.decaps(kem.generateKeys(seed).dk, c.subarray(0, 960), c.subarray(960))).toThrow(RangeError);
      }
      checked++;
    }
    expect(checked).toBe(193);
  });

  it('libcrux FIPS 203 KATs (nistkats_mlkem_768.json): split encapsulation hashes and secrets', () => {
    const kats = sharedVectors<NistKat[]>('mlkem/nistkats_mlkem_768.json');
    for (const k of kats) {
      const keys = kem.generateKeys(unhex(k.key_generation_seed));
      const full = keys.dk.subarray(1152, 2336);
      expect(hex(sha3_256(full))).toBe(k.sha3_256_hash_of_public_key);
      expect(hex(sha3_256(keys.dk))).toBe(k.sha3_256_hash_of_secret_key);
      const r = splitEncaps(keys.hdr, keys.ek, unhex(k.encapsulation_seed));
      expect(hex(sha3_256(r.ct))).toBe(k.sha3_256_hash_of_ciphertext);
      expect(hex(r.ss)).toBe(k.shared_secret);
      expect(hex(kem.decaps(keys.dk, r.e1.ct1, r.ct2))).toBe(k.shared_secret);
    }
    expect(kats.length).toBe(100);
  });
});
