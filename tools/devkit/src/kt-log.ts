/**
 * A key-transparency log for tests that can lie: the same structure as
 * @sealpost/keytrans's KtDirectory (each RFC 6962 log entry commits to a
 * whole VRF-indexed prefix tree), but every entry's tree is built from an
 * explicit view of which versions exist, so a test can drop a version from
 * later trees (show-then-hide), or clone the log and grow the clone
 * differently (a split view). Honest use gives exactly KtDirectory's proofs.
 * In memory; VRF outputs are computed once per (label, version).
 */
import {
  type Checkpoint,
  type LabelUpdate,
  type LogEntry,
  MemoryLeafStore,
  PrefixTree,
  type SearchProof,
  commit,
  consistencyProof,
  encodeLogEntry,
  inclusionProof,
  treeRoot,
  vrfInput,
  vrfOutput,
  vrfProofToHash,
  vrfProve,
} from '@sealpost/keytrans';
import { toHex } from '@sealpost/protocol/primitives';

interface Version {
  value: Uint8Array;
  opening: Uint8Array;
  commitment: Uint8Array;
}

interface LabelRecord {
  label: Uint8Array;
  versions: Version[];
  /** Versions at or beyond this are left out of trees built from now on (show-then-hide). */
  hiddenFrom: number;
}

export class KtTestLog {
  private leaves = new MemoryLeafStore();
  private entries: LogEntry[] = [];
  private trees: PrefixTree[] = [];
  /** labelHex → versions visible in each entry's tree (count of versions per entry). */
  private visible: Map<string, number>[] = [];
  private labels = new Map<string, LabelRecord>();
  private current = PrefixTree.empty();
  private readonly vrfProofs = new Map<string, Uint8Array>();

  constructor(private readonly vrfSecretKey: Uint8Array) {}

  get size(): number {
    return this.entries.length;
  }

  /** One sequencer batch: new versions of the labels, one log entry at `timestamp` (ms). Returns each update's version. */
  update(updates: readonly LabelUpdate[], timestamp: number): number[] {
    const versions: number[] = [];
    let tree = this.current;
    for (const u of updates) {
      const id = toHex(u.label);
      let rec = this.labels.get(id);
      if (rec === undefined) {
        rec = { label: u.label.slice(), versions: [], hiddenFrom: Number.MAX_SAFE_INTEGER };
        this.labels.set(id, rec);
      }
      const version = rec.versions.length;
      const { opening, commitment } = commit(u.label, version, u.value, ...(u.opening === undefined ? [] : [u.opening]));
      rec.versions.push({ value: u.value.slice(), opening, commitment });
      if (version < rec.hiddenFrom) tree = tree.insert(this.searchKey(u.label, version), commitment);
      versions.push(version);
    }
    this.appendEntry(tree, timestamp);
    return versions;
  }

  /** From the next entry on, versions ≥ `version` of `label` are left out of the prefix tree; appends that entry now. */
  hide(label: Uint8Array, version: number, timestamp: number): void {
    const rec = this.labels.get(toHex(label));
    if (rec === undefined) throw new Error('no such label');
    rec.hiddenFrom = version;
    let tree = PrefixTree.empty();
    for (const r of this.labels.values()) {
      r.versions.forEach((v, i) => {
        if (i < r.hiddenFrom) tree = tree.insert(this.searchKey(r.label, i), v.commitment);
      });
    }
    this.appendEntry(tree, timestamp);
  }

  /** A copy of this log (same entries, same openings) that can grow on its own: a split view. */
  fork(): KtTestLog {
    const f = new KtTestLog(this.vrfSecretKey);
    for (const e of this.entries) f.leaves.append(encodeLogEntry(e));
    f.entries = [...this.entries];
    f.trees = [...this.trees];
    f.visible = this.visible.map((m) => new Map(m));
    for (const [id, r] of this.labels) f.labels.set(id, { label: r.label, versions: [...r.versions], hiddenFrom: r.hiddenFrom });
    f.current = this.current;
    for (const [k, p] of this.vrfProofs) f.vrfProofs.set(k, p);
    return f;
  }

  checkpoint(origin: string, size = this.size): Checkpoint {
    return { origin, size, rootHash: treeRoot(this.leaves, size), extensions: [] };
  }

  /** The label's greatest version visible in the tree of `size` entries. */
  greatestVersion(label: Uint8Array, size = this.size): number | undefined {
    const n = this.visible[size - 1]?.get(toHex(label)) ?? 0;
    return n === 0 ? undefined : n - 1;
  }

  searchProof(label: Uint8Array, size = this.size): SearchProof {
    const version = this.greatestVersion(label, size);
    if (version === undefined) throw new Error('the label has no version in that tree');
    const stored = this.labels.get(toHex(label))!.versions[version]!;
    const vrfProof = this.vrfProof(label, version);
    const nextVrfProof = this.vrfProof(label, version + 1);
    return {
      entry: this.entries[size - 1]!,
      inclusion: inclusionProof(this.leaves, size - 1, size),
      version,
      opening: stored.opening,
      value: stored.value,
      vrfProof,
      nextVrfProof,
      prefixProof: this.trees[size - 1]!.prove([vrfOutput(vrfProofToHash(vrfProof)), vrfOutput(vrfProofToHash(nextVrfProof))]),
    };
  }

  consistency(from: number, to = this.size): Uint8Array[] {
    return from === to ? [] : consistencyProof(this.leaves, from, to);
  }

  private appendEntry(tree: PrefixTree, timestamp: number): void {
    const entry: LogEntry = { timestamp, prefixRoot: tree.root };
    this.leaves.append(encodeLogEntry(entry));
    this.entries.push(entry);
    this.trees.push(tree);
    const visible = new Map<string, number>();
    for (const [id, r] of this.labels) {
      const n = Math.min(r.versions.length, r.hiddenFrom);
      if (n > 0) visible.set(id, n);
    }
    this.visible.push(visible);
    this.current = tree;
  }

  private vrfProof(label: Uint8Array, version: number): Uint8Array {
    const k = `${toHex(label)}/${version}`;
    let p = this.vrfProofs.get(k);
    if (p === undefined) {
      p = vrfProve(this.vrfSecretKey, vrfInput(label, version));
      this.vrfProofs.set(k, p);
    }
    return p;
  }

  private searchKey(label: Uint8Array, version: number): Uint8Array {
    return vrfOutput(vrfProofToHash(this.vrfProof(label, version)));
  }
}
