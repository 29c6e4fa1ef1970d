/**
 * RFC 6962 consistency proofs between two sizes of the log tree:
 * generation (RFC 6962 §2.1.2 SUBPROOF) from a LeafHashStore and
 * verification (RFC 9162 §2.1.4.2). Verification accepts exactly what
 * transparency-dev/merkle's `proof.VerifyConsistency` accepts:
 *  - size2 < size1, or size1 = 0 (a proof from the empty tree says nothing), fail;
 *  - size1 = size2 needs an empty proof and root1 = root2 byte for byte;
 *  - otherwise the proof must rebuild both roots.
 * Every case of its testdata/consistency gives its `wantErr`.
 */
import { equalBytes } from '@sealpost/protocol/primitives';
import { ensure } from './errors.ts';
import { HASH_SIZE, type LeafHashStore, checkTreeSize, hashChildren, isTreeSize, isPowerOfTwo, splitPoint, subtreeHash } from './log-tree.ts';

/** The consistency proof from the tree of `size1` leaves to the tree of `size2` leaves of `store` (0 < size1 ≤ size2). */
export function consistencyProof(store: LeafHashStore, size1: number, size2 = store.size): Uint8Array[] {
  checkTreeSize('size1', size1);
  checkTreeSize('size2', size2);
  ensure(size1 > 0 && size1 <= size2 && size2 <= store.size, 'INVALID_ARGUMENT', `no consistency proof from size ${size1} to ${size2} (log size ${store.size})`);
  const proof: Uint8Array[] = [];
  subproof(store, size1, 0, size2, true, proof);
  return proof;
}

/** SUBPROOF(m, D[start:end], b), appending to `out` in RFC 6962 order. */
function subproof(store: LeafHashStore, m: number, start: number, end: number, whole: boolean, out: Uint8Array[]): void {
  const n = end - start;
  if (m === n) {
    if (!whole) out.push(subtreeHash(store, start, end));
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproof(store, m, start, start + k, whole, out);
    out.push(subtreeHash(store, start + k, end));
  } else {
    subproof(store, m - k, start + k, end, false, out);
    out.push(subtreeHash(store, start, start + k));
  }
}

/**
 * Throws CONSISTENCY_PROOF_INVALID unless `proof` shows that the tree of
 * `size1` leaves with root `root1` is a prefix of the tree of `size2`
 * leaves with root `root2`.
 */
export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): void {
  ensure(isTreeSize(size1) && isTreeSize(size2), 'CONSISTENCY_PROOF_INVALID', 'tree sizes must be integers in 0..2^48');
  ensure(size1 <= size2, 'CONSISTENCY_PROOF_INVALID', `size2 (${size2}) < size1 (${size1})`);
  ensure(size1 !== 0, 'CONSISTENCY_PROOF_INVALID', 'a consistency proof from the empty tree is meaningless');
  if (size1 === size2) {
    ensure(proof.length === 0, 'CONSISTENCY_PROOF_INVALID', 'size1 = size2, but the proof is not empty');
    ensure(root1 instanceof Uint8Array && root2 instanceof Uint8Array && equalBytes(root1, root2), 'CONSISTENCY_PROOF_INVALID', 'equal sizes with different roots');
    return;
  }
  ensure(proof.length > 0, 'CONSISTENCY_PROOF_INVALID', 'empty consistency proof');
  for (const p of proof) {
    ensure(p instanceof Uint8Array && p.length === HASH_SIZE, 'CONSISTENCY_PROOF_INVALID', `a proof hash is ${HASH_SIZE} bytes`);
  }
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    ensure(sn !== 0, 'CONSISTENCY_PROOF_INVALID', 'the consistency proof is too long');
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  ensure(sn === 0, 'CONSISTENCY_PROOF_INVALID', 'the consistency proof is too short');
  ensure(root1 instanceof Uint8Array && equalBytes(fr, root1), 'CONSISTENCY_PROOF_INVALID', 'the proof does not rebuild the first root');
  ensure(root2 instanceof Uint8Array && equalBytes(sr, root2), 'CONSISTENCY_PROOF_INVALID', 'the proof does not rebuild the second root');
}
