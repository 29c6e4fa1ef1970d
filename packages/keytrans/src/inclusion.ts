/**
 * RFC 6962 inclusion proofs (audit paths) for the log tree: generation
 * from a LeafHashStore (RFC 6962 §2.1.1 PATH) and verification
 * (RFC 9162 §2.1.3.2). Verification accepts exactly what
 * transparency-dev/merkle's `proof.VerifyInclusion` accepts: every case of
 * its testdata/inclusion gives its `wantErr` (test/merkle-vectors.test.ts).
 */
import { equalBytes } from '@sealpost/protocol/primitives';
import { ensure } from './errors.ts';
import { HASH_SIZE, type LeafHashStore, checkTreeSize, hashChildren, isTreeSize, splitPoint, subtreeHash } from './log-tree.ts';

/** The audit path of leaf `index` in the tree of the first `size` leaves of `store`, leaf side first. */
export function inclusionProof(store: LeafHashStore, index: number, size = store.size): Uint8Array[] {
  checkTreeSize('tree size', size);
  checkTreeSize('leaf index', index);
  ensure(index < size && size <= store.size, 'INVALID_ARGUMENT', `leaf ${index} is not in a tree of size ${size} (log size ${store.size})`);
  const path: Uint8Array[] = [];
  // PATH(m, D[start:end]), iteratively from the root down; siblings collected root side first.
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      path.push(subtreeHash(store, start + k, end));
      end = start + k;
    } else {
      path.push(subtreeHash(store, start, start + k));
      start += k;
    }
  }
  return path.reverse();
}

/**
 * The root that `proof` yields for `leafHash` at `index` in a tree of
 * `size` leaves. Throws INCLUSION_PROOF_INVALID when index ≥ size, the leaf
 * hash is not 32 bytes, or the proof has the wrong number of hashes.
 */
export function rootFromInclusionProof(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  ensure(isTreeSize(size) && isTreeSize(index), 'INCLUSION_PROOF_INVALID', 'the leaf index and tree size must be integers in 0..2^48');
  ensure(index < size, 'INCLUSION_PROOF_INVALID', `leaf index ${index} is beyond the tree size ${size}`);
  ensure(leafHash instanceof Uint8Array && leafHash.length === HASH_SIZE, 'INCLUSION_PROOF_INVALID', `a leaf hash is ${HASH_SIZE} bytes`);
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    ensure(p instanceof Uint8Array && p.length === HASH_SIZE, 'INCLUSION_PROOF_INVALID', `a proof hash is ${HASH_SIZE} bytes`);
    ensure(sn !== 0, 'INCLUSION_PROOF_INVALID', 'the inclusion proof is too long');
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  ensure(sn === 0, 'INCLUSION_PROOF_INVALID', 'the inclusion proof is too short');
  return r;
}

/** Throws INCLUSION_PROOF_INVALID unless `proof` shows `leafHash` at `index` under `root` (tree of `size` leaves). */
export function verifyInclusion(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  ensure(root instanceof Uint8Array && equalBytes(computed, root), 'INCLUSION_PROOF_INVALID', 'the inclusion proof leads to another root');
}
