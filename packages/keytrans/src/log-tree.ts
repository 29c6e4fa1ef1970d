/**
 * The log tree: an RFC 6962 (§2.1) Merkle tree over the log's entries.
 *
 *   leaf hash  = SHA-256(0x00 ‖ entry)
 *   node hash  = SHA-256(0x01 ‖ left ‖ right)
 *   MTH({})    = SHA-256("")
 *   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n
 *
 * This is the hashing of Sealpost's private-use cipher suite 0xF001
 * (design §3.1): with it the key-transparency log root is a C2SP
 * tlog-checkpoint root that stock witnesses can cosign.
 *
 * Proof *generation* reads leaf hashes from a `LeafHashStore` (the server's
 * tiles or database; `MemoryLeafStore` here), proof *verification* needs no
 * store. Tree sizes are JavaScript safe integers; sizes above
 * MAX_TREE_SIZE (2^48) are refused so no arithmetic on them can overflow.
 */
import { sha256 } from '@sealpost/protocol/primitives';
import { KeyTransparencyError, ensure } from './errors.ts';

export const HASH_SIZE = 32;
export const LEAF_PREFIX = 0x00;
export const NODE_PREFIX = 0x01;
/** The largest log the package computes over (as the design's codec bound). */
export const MAX_TREE_SIZE = 2 ** 48;

/** SHA-256(0x00 ‖ data): the hash of a log leaf. */
export function hashLeaf(data: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(LEAF_PREFIX), data);
}

/** SHA-256(0x01 ‖ left ‖ right): the hash of an interior node. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(NODE_PREFIX), left, right);
}

/** The root of the empty tree, SHA-256(""). */
export function emptyRoot(): Uint8Array {
  return sha256();
}

/** The largest power of two strictly below n (n ≥ 2): RFC 6962's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Whether n is a power of two (n ≥ 1). */
export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && Number.isInteger(Math.log2(n)) && 2 ** Math.log2(n) === n;
}

/** Whether n is a tree size or leaf index the package computes with (an integer in 0..2^48). */
export function isTreeSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0 && n <= MAX_TREE_SIZE;
}

/** Checks a tree size or index argument (typed error, never a crash). */
export function checkTreeSize(what: string, n: number): void {
  if (!isTreeSize(n)) {
    throw new KeyTransparencyError('INVALID_ARGUMENT', `${what} must be an integer in 0..2^48, got ${String(n)}`);
  }
}

/**
 * Where proofs read the log from. `leafHash(i)` is the hash of leaf i
 * (0 ≤ i < size). A store that keeps interior hashes (C2SP tiles, the
 * `kt_log_tiles` table of the design) also answers `perfectSubtreeHash`
 * for the aligned perfect subtree [index·2^level, (index+1)·2^level), so a
 * proof costs O(log n) reads instead of O(n) hashes.
 */
export interface LeafHashStore {
  readonly size: number;
  leafHash(index: number): Uint8Array;
  perfectSubtreeHash?(level: number, index: number): Uint8Array | undefined;
}

/** MTH(D[start:end]) read from `store` (0 ≤ start < end ≤ store.size). */
export function subtreeHash(store: LeafHashStore, start: number, end: number): Uint8Array {
  const n = end - start;
  ensure(n >= 1 && end <= store.size, 'INVALID_ARGUMENT', `subtree [${start}, ${end}) is not inside a log of size ${store.size}`);
  if (n === 1) return store.leafHash(start);
  if (store.perfectSubtreeHash !== undefined && isPowerOfTwo(n) && start % n === 0) {
    const cached = store.perfectSubtreeHash(Math.log2(n), start / n);
    if (cached !== undefined) return cached;
  }
  const k = splitPoint(n);
  return hashChildren(subtreeHash(store, start, start + k), subtreeHash(store, start + k, end));
}

/** The root hash of the first `size` leaves of `store` (the empty root for 0). */
export function treeRoot(store: LeafHashStore, size = store.size): Uint8Array {
  checkTreeSize('tree size', size);
  ensure(size <= store.size, 'INVALID_ARGUMENT', `tree size ${size} exceeds the log size ${store.size}`);
  return size === 0 ? emptyRoot() : subtreeHash(store, 0, size);
}

/** The root of a list of leaf hashes (a convenience over an array). */
export function rootOfLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  return treeRoot(new MemoryLeafStore(leafHashes));
}

/**
 * An append-only in-memory log: leaf hashes plus every complete perfect
 * subtree hash (level by level, as tiles hold them), updated in O(log n)
 * per append. Good for tests, vector generation and small logs; the
 * key server's store implements the same interface over SQLite.
 */
export class MemoryLeafStore implements LeafHashStore {
  /** levels[0] = leaf hashes; levels[l][i] = hash of the perfect subtree i at level l. */
  private readonly levels: Uint8Array[][] = [[]];

  constructor(leafHashes: readonly Uint8Array[] = []) {
    for (const h of leafHashes) this.appendLeafHash(h);
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  /** Appends the entry (hashed as a leaf); returns its index. */
  append(entry: Uint8Array): number {
    return this.appendLeafHash(hashLeaf(entry));
  }

  /** Appends a leaf hash; returns its index. */
  appendLeafHash(leafHash: Uint8Array): number {
    ensure(leafHash instanceof Uint8Array && leafHash.length === HASH_SIZE, 'INVALID_ARGUMENT', 'a leaf hash is 32 bytes');
    ensure(this.size < MAX_TREE_SIZE, 'INVALID_ARGUMENT', 'the log is full');
    const index = this.size;
    let hash: Uint8Array = leafHash.slice();
    let level = 0;
    let i = index;
    for (;;) {
      const row = (this.levels[level] ??= []);
      row.push(hash);
      if (i % 2 === 0) break;
      hash = hashChildren(row[i - 1]!, hash);
      level++;
      i = (i - 1) / 2;
    }
    return index;
  }

  leafHash(index: number): Uint8Array {
    const h = this.levels[0]![index];
    ensure(Number.isSafeInteger(index) && h !== undefined, 'INVALID_ARGUMENT', `no leaf ${index} in a log of size ${this.size}`);
    return h.slice();
  }

  perfectSubtreeHash(level: number, index: number): Uint8Array | undefined {
    return this.levels[level]?.[index]?.slice();
  }
}
