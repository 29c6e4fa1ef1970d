/**
 * Replays every case of transparency-dev/merkle's RFC 6962 testdata
 * (../shared/test-vectors/merkle, or $SEALPOST_VECTORS_DIR/merkle;
 * commit and SHA-256 in PROVENANCE.md): each file must give exactly its
 * `wantErr` (a KeyTransparencyError with the proof's code, or no error).
 * The happy paths are also regenerated from the RFC 6962 test leaves
 * (transparency-dev/merkle testonly: the eight leaf inputs whose 8-leaf
 * root is 5dc9da79…) by our proof generators.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishedVectorsDir } from '@sealpost/devkit/vectors';
import { KeyTransparencyError } from '../src/errors.ts';
import { MemoryLeafStore, treeRoot } from '../src/log-tree.ts';
import { inclusionProof, verifyInclusion } from '../src/inclusion.ts';
import { consistencyProof, verifyConsistency } from '../src/consistency.ts';

const dir = path.join(publishedVectorsDir(), 'merkle');

function files(sub: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) out.push(p);
    }
  };
  walk(path.join(dir, sub));
  return out;
}

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

interface InclusionCase { leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; desc: string; wantErr: boolean }
interface ConsistencyCase { size1: number; size2: number; root1: string; root2: string; proof: string[] | null; desc: string; wantErr: boolean }

function outcome(run: () => void, code: string): 'ok' | 'error' {
  try {
    run();
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(KeyTransparencyError);
    expect((e as KeyTransparencyError).code).toBe(code);
    return 'error';
  }
}

/** The RFC 6962 test leaves (transparency-dev/merkle testonly.LeafInputs). */
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => new Uint8Array(Buffer.from(h, 'hex')));
const store = new MemoryLeafStore();
const regenerated = { inclusion: 0, consistency: 0 };
for (const l of LEAVES) store.append(l);

describe('transparency-dev/merkle RFC 6962 inclusion vectors', () => {
  const cases = files('inclusion');
  it('finds all 98 inclusion files', () => expect(cases).toHaveLength(98));
  for (const file of cases) {
    const c = JSON.parse(readFileSync(file, 'utf8')) as InclusionCase;
    it(`${path.relative(dir, file)}: ${c.desc} → ${c.wantErr ? 'rejected' : 'accepted'}`, () => {
      const got = outcome(() => verifyInclusion(c.leafIdx, c.treeSize, b64(c.leafHash), (c.proof ?? []).map(b64), b64(c.root)), 'INCLUSION_PROOF_INVALID');
      expect(got).toBe(c.wantErr ? 'error' : 'ok');
      if (!c.wantErr && c.treeSize <= LEAVES.length && Buffer.from(treeRoot(store, c.treeSize)).equals(Buffer.from(b64(c.root)))) {
        expect(inclusionProof(store, c.leafIdx, c.treeSize).map((p) => Buffer.from(p).toString('base64'))).toEqual(c.proof ?? []);
        regenerated.inclusion++;
      }
    });
  }
});

describe('transparency-dev/merkle RFC 6962 consistency vectors', () => {
  const cases = files('consistency');
  it('finds all 98 consistency files', () => expect(cases).toHaveLength(98));
  for (const file of cases) {
    const c = JSON.parse(readFileSync(file, 'utf8')) as ConsistencyCase;
    it(`${path.relative(dir, file)}: ${c.desc} → ${c.wantErr ? 'rejected' : 'accepted'}`, () => {
      const got = outcome(() => verifyConsistency(c.size1, c.size2, (c.proof ?? []).map(b64), b64(c.root1), b64(c.root2)), 'CONSISTENCY_PROOF_INVALID');
      expect(got).toBe(c.wantErr ? 'error' : 'ok');
      if (!c.wantErr && c.size1 > 0 && c.size2 <= LEAVES.length && Buffer.from(treeRoot(store, c.size2)).equals(Buffer.from(b64(c.root2)))) {
        expect(consistencyProof(store, c.size1, c.size2).map((p) => Buffer.from(p).toString('base64'))).toEqual(c.proof ?? []);
        regenerated.consistency++;
      }
    });
  }
});

describe('the RFC 6962 test tree', () => {
  it('our generators regenerated every accepted proof over the test leaves', () => {
    // the happy paths of inclusion/0..4 and consistency/0..4 (single-entry and "additional" use other leaves or fake roots)
    expect(regenerated).toEqual({ inclusion: 5, consistency: 5 });
  });
  it('has the published 8-leaf root', () => {
    expect(Buffer.from(treeRoot(store)).toString('hex')).toBe('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
  });
});
