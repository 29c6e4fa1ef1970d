/**
 * RFC 6962 proofs on random logs beyond the vectors' 8 leaves (property):
 * the cached MemoryLeafStore gives the same roots as a store of bare leaf
 * hashes (RFC 6962 MTH computed from leaves), every generated inclusion and
 * consistency proof verifies, and changing any one hash, index or size
 * makes it fail (checked against the root of the size claimed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consistencyProof, verifyConsistency } from '../src/consistency.ts';
import { KeyTransparencyError } from '../src/errors.ts';
import { inclusionProof, verifyInclusion } from '../src/inclusion.ts';
import { type LeafHashStore, MemoryLeafStore, hashChildren, hashLeaf, treeRoot } from '../src/log-tree.ts';

/** RFC 6962 §2.1 MTH straight from its definition. */
function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return hashChildren(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

const logs = new Map<number, { cached: MemoryLeafStore; bare: LeafHashStore; leaves: Uint8Array[] }>();
function log(n: number): { cached: MemoryLeafStore; bare: LeafHashStore; leaves: Uint8Array[] } {
  let l = logs.get(n);
  if (l === undefined) {
    const leaves = Array.from({ length: n }, (_, i) => hashLeaf(Uint8Array.of(i & 0xff, i >> 8)));
    l = { cached: new MemoryLeafStore(leaves), bare: { size: n, leafHash: (i) => leaves[i]! }, leaves };
    logs.set(n, l);
  }
  return l;
}

function rejected(run: () => void, code: string): boolean {
  try {
    run();
    return false;
  } catch (e) {
    return e instanceof KeyTransparencyError && e.code === code;
  }
}

describe('RFC 6962 proofs on random logs (property)', () => {
  it('roots: cached store = bare leaves = MTH', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), (n) => {
        const { cached, bare, leaves } = log(n);
        expect(treeRoot(cached)).toEqual(mth(leaves));
        expect(treeRoot(bare)).toEqual(treeRoot(cached));
      }),
      { numRuns: 40 },
    );
  });
  it('inclusion proofs verify, and fail for another index, size, leaf or any changed hash', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), (n, a, b) => {
        const size = (a % n) + 1;
        const index = b % size;
        const { cached, bare } = log(n);
        const root = treeRoot(cached, size);
        const proof = inclusionProof(cached, index, size);
        expect(inclusionProof(bare, index, size)).toEqual(proof);
        verifyInclusion(index, size, cached.leafHash(index), proof, root);
        if (size > 1) expect(rejected(() => verifyInclusion((index + 1) % size, size, cached.leafHash(index), proof, root), 'INCLUSION_PROOF_INVALID')).toBe(true);
        // the (size, root) pair is what a proof is checked against: the same proof under the next size's root fails
        if (size < n) expect(rejected(() => verifyInclusion(index, size + 1, cached.leafHash(index), proof, treeRoot(cached, size + 1)), 'INCLUSION_PROOF_INVALID')).toBe(true);
        proof.forEach((_, i) => {
          const m = proof.map((p) => p.slice());
          m[i]![i % 32]! ^= 1;
          expect(rejected(() => verifyInclusion(index, size, cached.leafHash(index), m, root), 'INCLUSION_PROOF_INVALID')).toBe(true);
        });
      }),
      { numRuns: 80 },
    );
  });
  it('consistency proofs verify, and fail for other sizes or any changed hash', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 300 }), fc.nat(), fc.nat(), (n, a, b) => {
        const size2 = (a % n) + 1;
        const size1 = (b % size2) + 1;
        const { cached, bare } = log(n);
        const r1 = treeRoot(cached, size1);
        const r2 = treeRoot(cached, size2);
        const proof = consistencyProof(cached, size1, size2);
        expect(consistencyProof(bare, size1, size2)).toEqual(proof);
        verifyConsistency(size1, size2, proof, r1, r2);
        if (size1 < size2) {
          expect(rejected(() => verifyConsistency(size1, size2, proof, r2, r2), 'CONSISTENCY_PROOF_INVALID')).toBe(true);
          if (size2 < n) expect(rejected(() => verifyConsistency(size1, size2 + 1, proof, r1, treeRoot(cached, size2 + 1)), 'CONSISTENCY_PROOF_INVALID')).toBe(true);
          proof.forEach((_, i) => {
            const m = proof.map((p) => p.slice());
            m[i]![i % 32]! ^= 0x80;
            expect(rejected(() => verifyConsistency(size1, size2, m, r1, r2), 'CONSISTENCY_PROOF_INVALID')).toBe(true);
          });
        }
      }),
      { numRuns: 80 },
    );
  });
  it('sizes outside 0..2^48 are typed errors', () => {
    expect(rejected(() => verifyInclusion(0, 2 ** 49, new Uint8Array(32), [], new Uint8Array(32)), 'INCLUSION_PROOF_INVALID')).toBe(true);
    expect(rejected(() => verifyConsistency(1, 2 ** 53, [], new Uint8Array(32), new Uint8Array(32)), 'CONSISTENCY_PROOF_INVALID')).toBe(true);
    expect(rejected(() => inclusionProof(log(4).cached, 4, 4), 'INVALID_ARGUMENT')).toBe(true);
    expect(rejected(() => consistencyProof(log(4).cached, 0, 4), 'INVALID_ARGUMENT')).toBe(true);
  });
});
