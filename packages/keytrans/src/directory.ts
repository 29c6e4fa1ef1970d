/**
 * An in-memory key-transparency log: the recording side of search-proof.ts,
 * for tests, vector generation and as the reference the key server's
 * SQLite-backed sequencer will follow (design §3.3). Each `update` call is
 * one sequencer batch: new versions get commitments and VRF-indexed
 * prefix-tree leaves, one LogEntry is appended to the RFC 6962 log.
 * Every earlier tree head stays provable (persistent prefix trees).
 */
import { toHex } from '@sealpost/protocol/primitives';
import type { Checkpoint } from './checkpoint.ts';
import { OPENING_SIZE, checkLabel, commit } from './commitment.ts';
import { ensure } from './errors.ts';
import { inclusionProof } from './inclusion.ts';
import { type LogEntry, encodeLogEntry } from './log-entry.ts';
import { MemoryLeafStore, treeRoot } from './log-tree.ts';
import { PrefixTree } from './prefix-tree.ts';
import { type SearchProof, vrfInput } from './search-proof.ts';
import { vrfOutput, vrfProofToHash, vrfProve } from './vrf.ts';

interface StoredVersion {
  value: Uint8Array;
  opening: Uint8Array;
  /** The log position of the entry that added it. */
  position: number;
}

export interface LabelUpdate {
  label: Uint8Array;
  value: Uint8Array;
  /** Fixed opening (vector generation); random otherwise. */
  opening?: Uint8Array;
}

export class KtDirectory {
  readonly log = new MemoryLeafStore();
  private readonly entries: LogEntry[] = [];
  private readonly trees: PrefixTree[] = [];
  private readonly versions = new Map<string, StoredVersion[]>();
  private current = PrefixTree.empty();

  constructor(private readonly vrfSecretKey: Uint8Array) {}

  /** Sequences one batch at `timestamp` (ms); returns the new entry's position. */
  update(updates: readonly LabelUpdate[], timestamp: number): number {
    const position = this.entries.length;
    let tree = this.current;
    const added: [string, StoredVersion][] = [];
    for (const u of updates) {
      checkLabel(u.label);
      const id = toHex(u.label);
      const version = (this.versions.get(id)?.length ?? 0) + added.filter(([k]) => k === id).length;
      const { opening, commitment } = commit(u.label, version, u.value, ...(u.opening === undefined ? [] : [u.opening]));
      ensure(opening.length === OPENING_SIZE, 'INVALID_ARGUMENT', 'bad opening');
      tree = tree.insert(this.searchKey(u.label, version), commitment);
      added.push([id, { value: u.value.slice(), opening, position }]);
    }
    const entry: LogEntry = { timestamp, prefixRoot: tree.root };
    this.log.append(encodeLogEntry(entry));
    this.entries.push(entry);
    this.trees.push(tree);
    this.current = tree;
    for (const [id, v] of added) this.versions.set(id, [...(this.versions.get(id) ?? []), v]);
    return position;
  }

  get size(): number {
    return this.entries.length;
  }

  /** The log entry at `position`. */
  entry(position: number): LogEntry {
    const e = this.entries[position];
    ensure(e !== undefined, 'INVALID_ARGUMENT', `no log entry ${position}`);
    return { timestamp: e.timestamp, prefixRoot: e.prefixRoot.slice() };
  }

  /** The checkpoint body for the tree of `size` entries. */
  checkpoint(origin: string, size = this.size): Checkpoint {
    return { origin, size, rootHash: treeRoot(this.log, size), extensions: [] };
  }

  /** The label's greatest version in the tree of `size` entries (undefined if it has none). */
  greatestVersion(label: Uint8Array, size = this.size): number | undefined {
    const n = (this.versions.get(toHex(label)) ?? []).filter((v) => v.position < size).length;
    return n === 0 ? undefined : n - 1;
  }

  /** The search proof for `label` against the tree head of `size` entries. */
  searchProof(label: Uint8Array, size = this.size): SearchProof {
    ensure(size >= 1 && size <= this.size, 'INVALID_ARGUMENT', `no tree head of size ${size}`);
    const version = this.greatestVersion(label, size);
    ensure(version !== undefined, 'INVALID_ARGUMENT', 'the label has no version in that tree (KEYTRANS cannot prove absence of a label)');
    const stored = this.versions.get(toHex(label))![version]!;
    const vrfProof = vrfProve(this.vrfSecretKey, vrfInput(label, version));
    const nextVrfProof = vrfProve(this.vrfSecretKey, vrfInput(label, version + 1));
    const tree = this.trees[size - 1]!;
    return {
      entry: this.entries[size - 1]!,
      inclusion: inclusionProof(this.log, size - 1, size),
      version,
      opening: stored.opening,
      value: stored.value,
      vrfProof,
      nextVrfProof,
      prefixProof: tree.prove([vrfOutput(vrfProofToHash(vrfProof)), vrfOutput(vrfProofToHash(nextVrfProof))]),
    };
  }

  private searchKey(label: Uint8Array, version: number): Uint8Array {
    return vrfOutput(vrfProofToHash(vrfProve(this.vrfSecretKey, vrfInput(label, version))));
  }
}
