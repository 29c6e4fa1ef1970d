/**
 * The prefix tree and commitments: shape and hashing on hand-built keys,
 * persistence, batch search proofs (property-tested over random key sets:
 * honest proofs verify, every single-byte mutation of an encoded proof is
 * rejected, a proof never verifies a wrong commitment or key), and the
 * commitment's opening rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, hmacSha256, toHex } from '@sealpost/protocol/primitives';
import { COMMITMENT_KEY, commit, commitmentValue, computeCommitment, verifyCommitment } from '../src/commitment.ts';
import { KeyTransparencyError } from '../src/errors.ts';
import {
  PrefixTree,
  decodePrefixProof,
  encodePrefixProof,
  evaluatePrefixProof,
  prefixLeafHash,
  prefixParentHash,
  verifyPrefixProof,
} from '../src/prefix-tree.ts';
import { code } from './support/error-code.ts';

const key = (firstByte: number, fill = 0): Uint8Array => {
  const k = new Uint8Array(32).fill(fill);
  k[0] = firstByte;
  return k;
};
const c = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const ZERO = new Uint8Array(32);


describe('prefix tree shape and hashing', () => {
  it('empty tree: zero root, every search a nonInclusionParent at depth 0', () => {
    const t = PrefixTree.empty();
    expect(t.root).toEqual(ZERO);
    const proof = t.prove([key(0x12)]);
    expect(proof).toEqual({ results: [{ type: 'nonInclusionParent', depth: 0 }], elements: [] });
    verifyPrefixProof(proof, [{ key: key(0x12) }], ZERO);
  });
  it('one leaf is the root; two keys split at their first differing bit', () => {
    const a = key(0b0000_0000);
    const b = key(0b0010_0000); // differs from a at bit 2
    const one = PrefixTree.empty().insert(a, c(1));
    expect(one.root).toEqual(prefixLeafHash(a, c(1)));
    const two = one.insert(b, c(2));
    // depth 0 and 1: left child only; depth 2 splits a (0) and b (1)
    const expected = prefixParentHash(prefixParentHash(prefixParentHash(prefixLeafHash(a, c(1)), prefixLeafHash(b, c(2))), ZERO), ZERO);
    expect(two.root).toEqual(expected);
    expect(two.get(a)).toEqual(c(1));
    expect(two.get(key(0x80))).toBeUndefined();
    expect(one.get(b)).toBeUndefined(); // the older tree is unchanged
    expect(one.root).toEqual(prefixLeafHash(a, c(1)));
  });
  it('inclusion, non-inclusion at a leaf and at a missing child, in one batch', () => {
    const a = key(0x00);
    const b = key(0x20);
    const t = PrefixTree.empty().insert(a, c(1)).insert(b, c(2));
    const other = key(0x00, 1); // shares a's first 8+ bits, ends at a's leaf (depth 3)
    const right = key(0x80); // goes right at the root: missing child
    const proof = t.prove([a, other, right]);
    expect(proof.results).toEqual([
      { type: 'inclusion', depth: 3 },
      { type: 'nonInclusionLeaf', depth: 3, leaf: { key: a, commitment: c(1) } },
      { type: 'nonInclusionParent', depth: 1 },
    ]);
    verifyPrefixProof(proof, [{ key: a, commitment: c(1) }, { key: other }, { key: right }], t.root);
    expect(decodePrefixProof(encodePrefixProof(proof))).toEqual(proof);
    expect(code(() => verifyPrefixProof(proof, [{ key: a, commitment: c(9) }, { key: other }, { key: right }], t.root))).toBe('INCLUSION_PROOF_INVALID');
    expect(code(() => evaluatePrefixProof(proof, [{ key: a }, { key: other }, { key: right }]))).toBe('INCLUSION_PROOF_INVALID');
    expect(code(() => PrefixTree.empty().insert(a, c(1)).insert(a, c(2)))).toBe('DUPLICATE_KEY');
    // four nonInclusionLeaf results (4 × 66 bytes) exceed results<0..2^8-1>: a typed error, not a bad encoding
    expect(code(() => encodePrefixProof(t.prove([1, 2, 3, 4].map((n) => key(0x00, n)))))).toBe('INVALID_ARGUMENT');
  });
  it('a non-inclusion leaf must lie on the search path and differ from the key', () => {
    const a = key(0x00);
    const t = PrefixTree.empty().insert(a, c(1)).insert(key(0x80), c(2));
    const proof = t.prove([key(0x01)]);
    expect(proof.results[0]!.type).toBe('nonInclusionLeaf');
    // the same proof offered for a key that goes right at the root
    expect(code(() => evaluatePrefixProof({ ...proof, results: [{ ...proof.results[0]!, depth: 1 }] }, [{ key: key(0x81) }]))).toBe('INCLUSION_PROOF_INVALID');
  });
});

describe('prefix proofs (property)', () => {
  const keySet = fc.uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 0, maxLength: 40, selector: (k) => toHex(k) });
  // results<0..2^8-1> is a byte bound (draft @526cc8a): at most three 66-byte nonInclusionLeaf results fit
  it('honest batch proofs verify for random trees and lookups', () => {
    fc.assert(
      fc.property(keySet, fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 3 }), fc.array(fc.nat(), { maxLength: 2 }), (keys, absent, present) => {
        let t = PrefixTree.empty();
        keys.forEach((k, i) => (t = t.insert(k, c(i % 256))));
        const lookups = [...present.filter(() => keys.length > 0).map((n) => keys[n % keys.length]!), ...absent];
        fc.pre(lookups.length > 0);
        const proof = decodePrefixProof(encodePrefixProof(t.prove(lookups)));
        const expected = lookups.map((k) => {
          const got = t.get(k);
          return got === undefined ? { key: k } : { key: k, commitment: got };
        });
        lookups.forEach((k, i) => expect(proof.results[i]!.type === 'inclusion').toBe(t.get(k) !== undefined));
        verifyPrefixProof(proof, expected, t.root);
      }),
      { numRuns: 60 },
    );
  });
  it('every single-byte mutation of an encoded proof is rejected', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 24, selector: (k) => toHex(k) }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 255 }), (keys, absent, xor) => {
        let t = PrefixTree.empty();
        keys.forEach((k, i) => (t = t.insert(k, c(i))));
        fc.pre(t.get(absent) === undefined);
        const lookups = [{ key: keys[0]!, commitment: c(0) }, { key: absent }];
        const bytes = encodePrefixProof(t.prove(lookups.map((l) => l.key)));
        for (let i = 0; i < bytes.length; i++) {
          const m = bytes.slice();
          m[i]! ^= xor;
          expect(['MALFORMED', 'INCLUSION_PROOF_INVALID']).toContain(code(() => verifyPrefixProof(decodePrefixProof(m), lookups, t.root)));
        }
        expect(code(() => verifyPrefixProof(decodePrefixProof(bytes.subarray(0, bytes.length - 1)), lookups, t.root))).toBe('MALFORMED');
        expect(code(() => decodePrefixProof(new Uint8Array([...bytes, 0])))).toBe('MALFORMED');
      }),
      { numRuns: 25 },
    );
  });
});

describe('commitments', () => {
  const label = new TextEncoder().encode('a0123456789abcdef');
  const opening = fromHex('00112233445566778899aabbccddeeff');
  const value = fromHex('0105' + '11'.repeat(32));
  it('is HMAC-SHA256(Kc, opening ‖ label<0..255> ‖ uint32 version ‖ value<0..2^32-1>)', () => {
    const cv = commitmentValue(opening, label, 7, value);
    expect(toHex(cv)).toBe(`${toHex(opening)}11${toHex(label)}00000007000000${value.length.toString(16)}${toHex(value)}`);
    expect(computeCommitment(opening, label, 7, value)).toEqual(hmacSha256(COMMITMENT_KEY, cv));
    expect(toHex(COMMITMENT_KEY)).toBe('d821f8790d97709796b4d7903357c3f5');
  });
  it('opens only to the committed label, version and value', () => {
    const { opening: o, commitment } = commit(label, 0, value);
    expect(o).toHaveLength(16);
    verifyCommitment(commitment, o, label, 0, value);
    expect(code(() => verifyCommitment(commitment, o, label, 1, value))).toBe('COMMITMENT_MISMATCH');
    expect(code(() => verifyCommitment(commitment, o, new Uint8Array([0x61]), 0, value))).toBe('COMMITMENT_MISMATCH');
    expect(code(() => verifyCommitment(commitment, o, label, 0, value.subarray(1)))).toBe('COMMITMENT_MISMATCH');
    expect(code(() => verifyCommitment(commitment, opening, label, 0, value))).toBe('COMMITMENT_MISMATCH');
    expect(commit(label, 0, value).commitment).not.toEqual(commitment); // fresh random openings
    expect(code(() => commitmentValue(opening, new Uint8Array(256), 0, value))).toBe('INVALID_ARGUMENT');
  });
});

describe('PrefixTree.fromEntries (bulk build)', () => {
  it('gives the same tree as inserting one by one, for random key sets (property)', () => {
    const arbKey = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(arbKey, fc.uint8Array({ minLength: 32, maxLength: 32 })), { maxLength: 60, selector: ([k]) => toHex(k) }), (pairs) => {
        let t = PrefixTree.empty();
        for (const [k, v] of pairs) t = t.insert(k, v);
        const bulk = PrefixTree.fromEntries(pairs.map(([k, v]) => ({ key: k, commitment: v })));
        expect(bulk.root).toEqual(t.root);
        expect(bulk.size).toBe(pairs.length);
        for (const [k, v] of pairs) expect(bulk.get(k)).toEqual(v);
        if (pairs.length > 0) expect(bulk.prove([pairs[0]![0]])).toEqual(t.prove([pairs[0]![0]]));
      }),
      { numRuns: 60 },
    );
  });

  it('handles keys sharing long prefixes and refuses duplicates', () => {
    const keys = [key(0x80, 0), key(0x80, 1), key(0x81, 0), key(0x00, 0xff)];
    let t = PrefixTree.empty();
    for (const [i, k] of keys.entries()) t = t.insert(k, c(i));
    expect(PrefixTree.fromEntries(keys.map((k, i) => ({ key: k, commitment: c(i) }))).root).toEqual(t.root);
    expect(code(() => PrefixTree.fromEntries([{ key: key(1), commitment: c(1) }, { key: key(1), commitment: c(2) }]))).toBe('DUPLICATE_KEY');
    expect(PrefixTree.fromEntries([]).root).toEqual(ZERO);
  });
});
