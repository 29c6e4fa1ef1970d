/**
 * The VRF-indexed prefix tree (draft-ietf-keytrans-protocol @526cc8a,
 * §"Prefix Tree" and §"Tree Proofs / Prefix Tree"): a binary trie over
 * 256-bit search keys (VRF outputs of (label, version)) whose leaves hold
 * commitments. A leaf sits at the shallowest depth where its key prefix is
 * unique; a parent at depth d splits on bit d (most significant bit first).
 *
 *   leaf   = SHA-256(0x02 ‖ vrf_output ‖ commitment)
 *   parent = SHA-256(0x03 ‖ left ‖ right), a missing child counting as 32 zero bytes
 *   root of the empty tree = 32 zero bytes
 *
 * `PrefixTree` is persistent (copy-on-write): inserting returns a new tree
 * and every earlier root stays searchable, as each log entry's prefix tree
 * must. `prove` answers a batch of searches with the draft's PrefixProof
 * (one result per key, then the fewest sibling values in left-to-right
 * order); `evaluatePrefixProof` is the verifier: it rebuilds the root from
 * the results, the commitments the caller knows for inclusion results, and
 * the elements, consuming every element exactly once.
 */
import { equalBytes, sha256 } from '@sealpost/protocol/primitives';
import { ByteReader, ByteWriter } from './codec.ts';
import { COMMITMENT_SIZE } from './commitment.ts';
import { KeyTransparencyError, ensure } from './errors.ts';
import { HASH_SIZE } from './log-tree.ts';

export const KEY_SIZE = 32;
/** Depths travel as uint8. */
const MAX_DEPTH = 255;
const ZERO = new Uint8Array(HASH_SIZE);

export type PrefixSearchResult =
  | { type: 'inclusion'; depth: number }
  | { type: 'nonInclusionLeaf'; depth: number; leaf: { key: Uint8Array; commitment: Uint8Array } }
  | { type: 'nonInclusionParent'; depth: number };

export interface PrefixProof {
  results: PrefixSearchResult[];
  elements: Uint8Array[];
}

const RESULT_CODES = { inclusion: 1, nonInclusionLeaf: 2, nonInclusionParent: 3 } as const;

/** SHA-256(0x02 ‖ key ‖ commitment) */
export function prefixLeafHash(key: Uint8Array, commitment: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0x02), key, commitment);
}

/** SHA-256(0x03 ‖ left ‖ right) */
export function prefixParentHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0x03), left, right);
}

/** Bit `i` of a 256-bit key, most significant bit of byte 0 first. */
function bit(key: Uint8Array, i: number): 0 | 1 {
  return ((key[i >> 3]! >> (7 - (i & 7))) & 1) as 0 | 1;
}

function sharePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i++) if (bit(a, i) !== bit(b, i)) return false;
  return true;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function checkKey(key: Uint8Array): void {
  ensure(key instanceof Uint8Array && key.length === KEY_SIZE, 'INVALID_ARGUMENT', `a search key is ${KEY_SIZE} bytes`);
}

interface LeafNode {
  readonly kind: 'leaf';
  readonly key: Uint8Array;
  readonly commitment: Uint8Array;
  readonly hash: Uint8Array;
}
type Node =
  | LeafNode
  | { readonly kind: 'parent'; readonly left: Node | undefined; readonly right: Node | undefined; readonly hash: Uint8Array };

const hashOf = (n: Node | undefined): Uint8Array => n?.hash ?? ZERO;

function leaf(key: Uint8Array, commitment: Uint8Array): LeafNode {
  return { kind: 'leaf', key, commitment, hash: prefixLeafHash(key, commitment) };
}

function parent(left: Node | undefined, right: Node | undefined): Node {
  return { kind: 'parent', left, right, hash: prefixParentHash(hashOf(left), hashOf(right)) };
}

function insert(node: Node | undefined, key: Uint8Array, commitment: Uint8Array, depth: number): Node {
  if (node === undefined) return leaf(key, commitment);
  if (node.kind === 'leaf') {
    if (equalBytes(node.key, key)) throw new KeyTransparencyError('DUPLICATE_KEY', 'the search key is already in the prefix tree');
    return split(node, leaf(key, commitment), depth);
  }
  ensure(depth < MAX_DEPTH, 'INVALID_ARGUMENT', 'prefix tree too deep');
  return bit(key, depth) === 0 ? parent(insert(node.left, key, commitment, depth + 1), node.right) : parent(node.left, insert(node.right, key, commitment, depth + 1));
}

/** The parent chain that separates two leaves whose keys agree on the first `depth` bits. */
function split(a: LeafNode, b: LeafNode, depth: number): Node {
  ensure(depth < MAX_DEPTH, 'INVALID_ARGUMENT', 'search keys share a 255-bit prefix');
  const ba = bit(a.key, depth);
  if (ba !== bit(b.key, depth)) return ba === 0 ? parent(a, b) : parent(b, a);
  const child = split(a, b, depth + 1);
  return ba === 0 ? parent(child, undefined) : parent(undefined, child);
}

/** An immutable prefix tree; `insert` returns a new tree sharing unchanged nodes. */
export class PrefixTree {
  private constructor(
    private readonly rootNode: Node | undefined,
    readonly size: number,
  ) {}

  static empty(): PrefixTree {
    return new PrefixTree(undefined, 0);
  }

  /**
   * The tree holding exactly `entries` (key → commitment), built bottom-up:
   * each node is hashed once, so rebuilding a large tree (a server start)
   * costs O(n) hashes instead of the O(n log n) of n inserts. The result is
   * identical to inserting the entries one by one in any order.
   * DUPLICATE_KEY if a key appears twice.
   */
  static fromEntries(entries: readonly { key: Uint8Array; commitment: Uint8Array }[]): PrefixTree {
    const leaves = entries.map((e) => {
      checkKey(e.key);
      ensure(e.commitment instanceof Uint8Array && e.commitment.length === COMMITMENT_SIZE, 'INVALID_ARGUMENT', 'a commitment is 32 bytes');
      return leaf(e.key.slice(), e.commitment.slice());
    });
    leaves.sort((a, b) => compareBytes(a.key, b.key));
    for (let i = 1; i < leaves.length; i++) {
      if (equalBytes(leaves[i - 1]!.key, leaves[i]!.key)) throw new KeyTransparencyError('DUPLICATE_KEY', 'the search key is already in the prefix tree');
    }
    const build = (lo: number, hi: number, depth: number): Node | undefined => {
      if (lo === hi) return undefined;
      if (hi - lo === 1) return leaves[lo]!;
      ensure(depth < MAX_DEPTH, 'INVALID_ARGUMENT', 'search keys share a 255-bit prefix');
      let mid = lo;
      while (mid < hi && bit(leaves[mid]!.key, depth) === 0) mid++;
      return parent(build(lo, mid, depth + 1), build(mid, hi, depth + 1));
    };
    return new PrefixTree(build(0, leaves.length, 0), leaves.length);
  }

  /** The root value (32 zero bytes for the empty tree). */
  get root(): Uint8Array {
    return hashOf(this.rootNode).slice();
  }

  /** A tree with `key → commitment` added (DUPLICATE_KEY if the key is present). */
  insert(key: Uint8Array, commitment: Uint8Array): PrefixTree {
    checkKey(key);
    ensure(commitment instanceof Uint8Array && commitment.length === COMMITMENT_SIZE, 'INVALID_ARGUMENT', 'a commitment is 32 bytes');
    return new PrefixTree(insert(this.rootNode, key.slice(), commitment.slice(), 0), this.size + 1);
  }

  /** The commitment stored under `key`, if any. */
  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(key);
    let n = this.rootNode;
    for (let d = 0; n !== undefined; d++) {
      if (n.kind === 'leaf') return equalBytes(n.key, key) ? n.commitment.slice() : undefined;
      n = bit(key, d) === 0 ? n.left : n.right;
    }
    return undefined;
  }

  /** The PrefixProof answering a search for each of `keys` (results in the order given). */
  prove(keys: readonly Uint8Array[]): PrefixProof {
    keys.forEach(checkKey);
    const results = new Array<PrefixSearchResult>(keys.length);
    const elements: Uint8Array[] = [];
    const walk = (node: Node | undefined, idx: number[], depth: number): void => {
      if (node === undefined) {
        for (const i of idx) results[i] = { type: 'nonInclusionParent', depth };
        return;
      }
      if (node.kind === 'leaf') {
        for (const i of idx) {
          results[i] = equalBytes(node.key, keys[i]!) ? { type: 'inclusion', depth } : { type: 'nonInclusionLeaf', depth, leaf: { key: node.key.slice(), commitment: node.commitment.slice() } };
        }
        return;
      }
      const left = idx.filter((i) => bit(keys[i]!, depth) === 0);
      const right = idx.filter((i) => bit(keys[i]!, depth) === 1);
      if (left.length > 0) walk(node.left, left, depth + 1);
      else elements.push(hashOf(node.left).slice());
      if (right.length > 0) walk(node.right, right, depth + 1);
      else elements.push(hashOf(node.right).slice());
    };
    if (keys.length > 0) walk(this.rootNode, keys.map((_, i) => i), 0);
    return { results, elements };
  }
}

/** One search of a batch: the key, and the commitment the verifier expects if the result is inclusion. */
export interface PrefixLookup {
  key: Uint8Array;
  commitment?: Uint8Array;
}

/**
 * The root value `proof` yields for `lookups` (same order as its results).
 * Throws INCLUSION_PROOF_INVALID when the proof is not a consistent search
 * (wrong count, an inclusion without a known commitment, a non-inclusion
 * leaf off the key's path or equal to the key, terminals that disagree,
 * elements left over or missing).
 */
export function evaluatePrefixProof(proof: PrefixProof, lookups: readonly PrefixLookup[]): Uint8Array {
  ensure(proof.results.length === lookups.length && lookups.length > 0, 'INCLUSION_PROOF_INVALID', 'a prefix proof has one result per lookup');
  lookups.forEach((l) => checkKey(l.key));
  const terminal = proof.results.map((r, i) => {
    const { key, commitment } = lookups[i]!;
    ensure(Number.isInteger(r.depth) && r.depth >= 0 && r.depth <= MAX_DEPTH, 'INCLUSION_PROOF_INVALID', 'bad depth');
    if (r.type === 'inclusion') {
      ensure(commitment !== undefined && commitment.length === COMMITMENT_SIZE, 'INCLUSION_PROOF_INVALID', 'an inclusion result needs the expected commitment');
      return prefixLeafHash(key, commitment);
    }
    if (r.type === 'nonInclusionLeaf') {
      ensure(!equalBytes(r.leaf.key, key) && sharePrefix(r.leaf.key, key, r.depth), 'INCLUSION_PROOF_INVALID', 'the non-inclusion leaf is not on the search path');
      return prefixLeafHash(r.leaf.key, r.leaf.commitment);
    }
    return ZERO;
  });
  let next = 0;
  const take = (): Uint8Array => {
    const e = proof.elements[next++];
    ensure(e !== undefined, 'INCLUSION_PROOF_INVALID', 'the prefix proof has too few elements');
    return e;
  };
  const value = (idx: number[], depth: number): Uint8Array => {
    const ending = idx.filter((i) => proof.results[i]!.depth === depth);
    if (ending.length > 0) {
      ensure(ending.length === idx.length, 'INCLUSION_PROOF_INVALID', 'searches end both at and below one node');
      const v = terminal[ending[0]!]!;
      for (const i of ending) ensure(equalBytes(terminal[i]!, v), 'INCLUSION_PROOF_INVALID', 'searches ending at one node disagree');
      return v;
    }
    ensure(depth < MAX_DEPTH, 'INCLUSION_PROOF_INVALID', 'bad depth');
    const left = idx.filter((i) => bit(lookups[i]!.key, depth) === 0);
    const right = idx.filter((i) => bit(lookups[i]!.key, depth) === 1);
    const l = left.length > 0 ? value(left, depth + 1) : take();
    const r = right.length > 0 ? value(right, depth + 1) : take();
    return prefixParentHash(l, r);
  };
  const root = value(lookups.map((_, i) => i), 0);
  ensure(next === proof.elements.length, 'INCLUSION_PROOF_INVALID', 'the prefix proof has elements left over');
  return root;
}

/** Throws INCLUSION_PROOF_INVALID unless `proof` answers `lookups` under `root`. */
export function verifyPrefixProof(proof: PrefixProof, lookups: readonly PrefixLookup[], root: Uint8Array): void {
  ensure(equalBytes(evaluatePrefixProof(proof, lookups), root), 'INCLUSION_PROOF_INVALID', 'the prefix proof leads to another root');
}

/** `struct { PrefixSearchResult results<0..2^8-1>; HashValue elements<0..2^16-1>; } PrefixProof` */
export function writePrefixProof(w: ByteWriter, proof: PrefixProof): void {
  const results = new ByteWriter();
  for (const r of proof.results) {
    results.uint8(RESULT_CODES[r.type]);
    if (r.type === 'nonInclusionLeaf') results.bytes(r.leaf.key).bytes(r.leaf.commitment);
    results.uint8(r.depth);
  }
  const elements = new ByteWriter();
  for (const e of proof.elements) {
    ensure(e.length === HASH_SIZE, 'INVALID_ARGUMENT', 'a prefix proof element is 32 bytes');
    elements.bytes(e);
  }
  w.vector8(results.finish()).vector16(elements.finish());
}

export function readPrefixProof(r: ByteReader): PrefixProof {
  const rr = new ByteReader(r.vector8(), 'PrefixProof.results');
  const results: PrefixSearchResult[] = [];
  while (!rr.done) {
    const code = rr.uint8();
    if (code === 1) results.push({ type: 'inclusion', depth: rr.uint8() });
    else if (code === 2) {
      const key = rr.bytes(KEY_SIZE);
      const commitment = rr.bytes(COMMITMENT_SIZE);
      results.push({ type: 'nonInclusionLeaf', leaf: { key, commitment }, depth: rr.uint8() });
    } else if (code === 3) results.push({ type: 'nonInclusionParent', depth: rr.uint8() });
    else throw new KeyTransparencyError('MALFORMED', `unknown prefix search result type ${code}`);
  }
  const raw = r.vector16();
  ensure(raw.length % HASH_SIZE === 0, 'MALFORMED', 'prefix proof elements are 32-byte values');
  const elements: Uint8Array[] = [];
  for (let i = 0; i < raw.length; i += HASH_SIZE) elements.push(raw.slice(i, i + HASH_SIZE));
  return { results, elements };
}

export function encodePrefixProof(proof: PrefixProof): Uint8Array {
  const w = new ByteWriter();
  writePrefixProof(w, proof);
  return w.finish();
}

export function decodePrefixProof(bytes: Uint8Array): PrefixProof {
  const r = new ByteReader(bytes, 'PrefixProof');
  const p = readPrefixProof(r);
  r.end();
  return p;
}
