/**
 * The log's in-memory index, rebuilt from the database on start: the RFC
 * 6962 leaf hashes (with every perfect-subtree hash, so proofs and tiles are
 * O(log n) reads), the entries, and the prefix trees a search may need —
 * the one at the newest entry and those from the oldest tree head searches
 * still prove against (the newest witnessed checkpoint) onwards.
 * `PrefixTree` is persistent, so these share all unchanged nodes.
 *
 * Rebuild: leaf hashes from `kt_entries`; the prefix tree at the first
 * retained position bulk-built from the `kt_versions` leaves before it
 * (`PrefixTree.fromEntries`, O(n) hashes), then the later versions
 * inserted entry by entry. Every rebuilt root is checked against the
 * entry's stored prefix root.
 */
import { type LeafHashStore, type LogEntry, MemoryLeafStore, PrefixTree, encodeLogEntry, hashLeaf, treeRoot } from '@sealpost/keytrans';
import { equalBytes, toHex } from '@sealpost/protocol/primitives';
import type { KtStore } from './kt-store.ts';

export class LogIndex {
  readonly leaves = new MemoryLeafStore();
  readonly entries: LogEntry[] = [];
  /** position → the prefix tree after that entry, for positions ≥ the oldest retained. */
  private readonly trees = new Map<number, PrefixTree>();
  private latest = PrefixTree.empty();

  get size(): number {
    return this.entries.length;
  }

  /** The prefix tree after everything sequenced so far. */
  get current(): PrefixTree {
    return this.latest;
  }

  /** The prefix tree at `position`, if retained. */
  treeAt(position: number): PrefixTree | undefined {
    return this.trees.get(position);
  }

  /** Rebuilds the index from the store, retaining trees from `keepFrom` (a position) on. */
  static async rebuild(store: KtStore, keepFrom: number): Promise<LogIndex> {
    const index = new LogIndex();
    const entries = await store.entries();
    entries.forEach((e, i) => {
      if (e.position !== i) throw new Error(`key transparency: log entry ${i} is missing from the database`);
      index.leaves.appendLeafHash(hashLeaf(encodeLogEntry({ timestamp: e.timestampMs, prefixRoot: e.prefixRoot })));
      index.entries.push({ timestamp: e.timestampMs, prefixRoot: e.prefixRoot });
    });
    if (entries.length === 0) return index;
    const leaves = await store.leaves();
    const first = Math.min(Math.max(0, keepFrom), entries.length - 1);
    let i = 0;
    while (i < leaves.length && leaves[i]!.position <= first) i++;
    let tree = PrefixTree.fromEntries(leaves.slice(0, i).map((l) => ({ key: l.searchKey, commitment: l.commitment })));
    index.check(first, tree);
    index.trees.set(first, tree);
    for (let p = first + 1; p < entries.length; p++) {
      for (; i < leaves.length && leaves[i]!.position === p; i++) tree = tree.insert(leaves[i]!.searchKey, leaves[i]!.commitment);
      index.check(p, tree);
      index.trees.set(p, tree);
    }
    // Versions past the last entry read belong to entries another instance committed since (PostgreSQL):
    // `follow` takes them in with their entries, and checks their roots then.
    for (; i < leaves.length; i++) if (leaves[i]!.position < entries.length) throw new Error('key transparency: the label versions are out of order');
    index.latest = tree;
    return index;
  }

  /**
   * Appends the entries another sequencer wrote after this index's last one
   * (an instance that follows the log). Every new prefix root is checked
   * before anything is recorded: on a gap or a mismatch this throws and the
   * index is unchanged. Answers the new versions' labels (hex) → position.
   */
  async follow(store: KtStore): Promise<Map<string, number>> {
    const from = this.size;
    const found = new Map<string, number>();
    const entries = await store.entries(from);
    if (entries.length === 0) return found;
    // Read after the entries: versions of entries committed in between are left for the next call.
    const versions = await store.versionsFrom(from);
    const staged: { entry: LogEntry; tree: PrefixTree }[] = [];
    let tree = this.latest;
    let i = 0;
    entries.forEach((e, k) => {
      if (e.position !== from + k) throw new Error(`key transparency: log entry ${from + k} is missing from the database`);
      for (; i < versions.length && versions[i]!.position === e.position; i++) {
        const v = versions[i]!;
        tree = tree.insert(v.searchKey, v.commitment);
        found.set(toHex(v.label), v.position);
      }
      if (!equalBytes(tree.root, e.prefixRoot)) throw new Error(`key transparency: the prefix tree followed to entry ${e.position} does not match the stored root`);
      staged.push({ entry: { timestamp: e.timestampMs, prefixRoot: e.prefixRoot }, tree });
    });
    for (const s of staged) this.append(s.entry, s.tree);
    return found;
  }

  private check(position: number, tree: PrefixTree): void {
    if (!equalBytes(tree.root, this.entries[position]!.prefixRoot)) {
      throw new Error(`key transparency: the prefix tree rebuilt for entry ${position} does not match the stored root`);
    }
  }

  /**
   * The root of the log with one more leaf, `leafHash`, appended — without
   * changing the index (the database write comes first).
   */
  rootWith(leafHash: Uint8Array): Uint8Array {
    const n = this.leaves.size;
    const base = this.leaves;
    const extended: LeafHashStore = {
      size: n + 1,
      leafHash: (i) => (i < n ? base.leafHash(i) : leafHash),
      perfectSubtreeHash: (level, i) => ((i + 1) * 2 ** level <= n ? base.perfectSubtreeHash(level, i) : undefined),
    };
    return treeRoot(extended);
  }

  /** Records an entry that is in the database. */
  append(entry: LogEntry, tree: PrefixTree): number {
    const position = this.entries.length;
    this.leaves.append(encodeLogEntry(entry));
    this.entries.push(entry);
    this.trees.set(position, tree);
    this.latest = tree;
    return position;
  }

  /** Drops retained trees before `position` (the newest one is always kept). */
  forgetBefore(position: number): void {
    for (const p of this.trees.keys()) if (p < position && p !== this.entries.length - 1) this.trees.delete(p);
  }
}
