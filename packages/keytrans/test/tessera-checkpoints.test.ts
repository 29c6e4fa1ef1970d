/**
 * Interop known answers from another implementation: the 16 checkpoints of
 * tessera's test log (test/vectors/tessera-checkpoints.json, transcribed
 * from transparency-dev/tessera testdata; Go's note and RFC 6962 code made
 * them). Each verifies under the log's vkey, its root is the RFC 6962 root
 * of the first `size` entries, and our consistency proofs connect every
 * pair of them, as a witness following the log would check.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { utf8Encode } from '@sealpost/protocol/primitives';
import { openCheckpoint } from '../src/checkpoint.ts';
import { consistencyProof, verifyConsistency } from '../src/consistency.ts';
import { inclusionProof, verifyInclusion } from '../src/inclusion.ts';
import { MemoryLeafStore, emptyRoot, treeRoot } from '../src/log-tree.ts';
import { ed25519NoteVerifier } from '../src/signed-note.ts';

const file = JSON.parse(readFileSync(new URL('./vectors/tessera-checkpoints.json', import.meta.url), 'utf8')) as {
  source: string;
  vkey: string;
  origin: string;
  entries: string[];
  checkpoints: string[];
};
const store = new MemoryLeafStore();
for (const e of file.entries) store.append(utf8Encode(e));
const verifier = ed25519NoteVerifier(file.vkey);
const opened = file.checkpoints.map((note) => openCheckpoint(note, [verifier], { origin: file.origin }).checkpoint);

describe('tessera test-log checkpoints', () => {
  it('names its source; 16 checkpoints, sizes 0..15', () => {
    expect(file.source).toMatch(/^transparency-dev\/tessera commit [0-9a-f]{40}/);
    expect(opened.map((c) => c.size)).toEqual([...Array(16).keys()]);
  });
  it('each verifies under the vkey and commits to the RFC 6962 root of its entries', () => {
    expect(opened[0]!.rootHash).toEqual(emptyRoot());
    for (const cp of opened.slice(1)) expect(cp.rootHash).toEqual(treeRoot(store, cp.size));
  });
  it('our consistency proofs connect every pair, our inclusion proofs every entry', () => {
    let pairs = 0;
    for (const a of opened.slice(1)) {
      for (const b of opened.slice(a.size)) {
        verifyConsistency(a.size, b.size, consistencyProof(store, a.size, b.size), a.rootHash, b.rootHash);
        pairs++;
      }
    }
    expect(pairs).toBe(120);
    const last = opened[15]!;
    file.entries.forEach((_, i) => verifyInclusion(i, 15, store.leafHash(i), inclusionProof(store, i, 15), last.rootHash));
  });
  it('a checkpoint with one changed size or root line is refused', () => {
    const note = file.checkpoints[7]!;
    expect(() => openCheckpoint(note.replace('\n7\n', '\n8\n'), [verifier])).toThrow(/does not verify/);
  });
});
