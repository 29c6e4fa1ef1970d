/**
 * Replays Sealpost's generated vectors (test-vectors/
 * keytrans-*.json): every output is recomputed from the file's inputs
 * byte-identically by the recording side, and independently accepted by
 * the verifying side (commitment openings, VRF proofs → search keys, prefix
 * proofs under the final root, the witnessed checkpoint, each search proof).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '@sealpost/protocol/primitives';
import { verifyCommitment } from '../src/commitment.ts';
import { decodeLogEntry } from '../src/log-entry.ts';
import { rootOfLeafHashes } from '../src/log-tree.ts';
import { decodePrefixProof, verifyPrefixProof } from '../src/prefix-tree.ts';
import { verifySearchProof, vrfInput } from '../src/search-proof.ts';
import { vrfOutput, vrfProve, vrfPublicKey, vrfVerify } from '../src/vrf.ts';
import { parseWitnessPolicy, verifyWitnessedCheckpoint } from '../src/witness-policy.ts';
import {
  type CommitmentCase,
  type CommitmentOutput,
  GENERATED_SOURCE,
  type PrefixTreeInputs,
  type PrefixTreeOutputs,
  type SearchInputs,
  type SearchOutputs,
  computeCommitmentCase,
  computePrefixTreeVector,
  computeSearchVector,
} from './support/keytrans-vectors.ts';

const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../../../test-vectors/${name}`, import.meta.url), 'utf8')) as T;

describe('test-vectors/keytrans-commitment.json', () => {
  const file = read<{ source: string; cases: (CommitmentCase & { outputs: CommitmentOutput })[] }>('keytrans-commitment.json');
  it('names its source', () => expect(file.source).toBe(GENERATED_SOURCE));
  for (const c of file.cases) {
    it(`${c.name}: recomputed byte-identically and opens`, () => {
      expect(computeCommitmentCase(c)).toEqual(c.outputs);
      verifyCommitment(fromHex(c.outputs.commitment), fromHex(c.opening), fromHex(c.label), c.version, fromHex(c.value));
    });
  }
});

describe('test-vectors/keytrans-prefix-tree.json', () => {
  const file = read<{ source: string; inputs: PrefixTreeInputs; outputs: PrefixTreeOutputs }>('keytrans-prefix-tree.json');
  const { inputs, outputs } = file;
  it('names its source and covers inserts, absent keys and batches', () => {
    expect(file.source).toBe(GENERATED_SOURCE);
    expect(outputs.roots).toHaveLength(inputs.inserts.length + 1);
    expect(outputs.proofs.flatMap((p) => p.results.map((r) => r.split('@')[0]))).toEqual(expect.arrayContaining(['inclusion', 'nonInclusionLeaf', 'nonInclusionParent']));
  });
  it('every output is recomputed byte-identically from the inputs', () => {
    expect(computePrefixTreeVector(inputs)).toEqual(outputs);
  });
  it('the verifier accepts every VRF proof and every prefix proof', () => {
    const pk = fromHex(outputs.vrfPublicKey);
    outputs.keys.forEach((k) => expect(toHex(vrfOutput(vrfVerify(pk, fromHex(k.vrfInput), fromHex(k.vrfProof))))).toBe(k.searchKey));
    const commitmentOf = (label: string, version: number): Uint8Array | undefined => {
      const c = inputs.inserts.find((i) => i.label === label && i.version === version)?.commitment;
      return c === undefined ? undefined : fromHex(c);
    };
    const searchKey = (label: string, version: number): string => {
      const i = inputs.inserts.findIndex((x) => x.label === label && x.version === version);
      return i >= 0 ? outputs.keys[i]!.searchKey : '';
    };
    inputs.lookups.forEach((batch, n) => {
      const proof = decodePrefixProof(fromHex(outputs.proofs[n]!.prefixProof));
      const lookups = batch.map((l, j) => {
        const commitment = commitmentOf(l.label, l.version);
        const key = commitment === undefined ? undefined : searchKey(l.label, l.version);
        expect(proof.results[j]!.type === 'inclusion').toBe(commitment !== undefined);
        // an absent (label, version): its search key is the verified VRF output, as a client gets it from the proof the server sends
        const k = key ?? toHex(vrfOutput(vrfVerify(pk, vrfInput(fromHex(l.label), l.version), vrfProve(fromHex(inputs.vrfSecretKey), vrfInput(fromHex(l.label), l.version)))));
        return commitment === undefined ? { key: fromHex(k) } : { key: fromHex(k), commitment };
      });
      verifyPrefixProof(proof, lookups, fromHex(outputs.roots.at(-1)!));
    });
  });
});

describe('test-vectors/keytrans-search.json', () => {
  const file = read<{ source: string; inputs: SearchInputs; outputs: SearchOutputs }>('keytrans-search.json');
  const { inputs, outputs } = file;
  it('names its source', () => expect(file.source).toBe(GENERATED_SOURCE));
  it('every output is recomputed byte-identically from the inputs', () => {
    expect(computeSearchVector(inputs)).toEqual(outputs);
  });
  it('the checkpoint verifies under the policy, its root is the log of the entries, every search proof verifies', () => {
    const now = Math.max(...inputs.witnesses.map((w) => w.timestamp));
    const { checkpoint, cosignatures } = verifyWitnessedCheckpoint(outputs.checkpointNote, parseWitnessPolicy(outputs.policy), { origin: inputs.origin, now, maxAgeSeconds: 600 });
    expect(cosignatures.size).toBe(3);
    expect(checkpoint.size).toBe(inputs.batches.length);
    expect(rootOfLeafHashes(outputs.logEntries.map((e) => fromHex(e.leafHash)))).toEqual(checkpoint.rootHash);
    outputs.logEntries.forEach((e, i) => expect(decodeLogEntry(fromHex(e.entry)).timestamp).toBe(inputs.batches[i]!.timestamp));
    for (const r of outputs.results) {
      const got = verifySearchProof({ checkpoint, vrfPublicKey: vrfPublicKey(fromHex(inputs.vrfSecretKey)), label: fromHex(r.label), proof: fromHex(r.searchProof), now: inputs.batches.at(-1)!.timestamp });
      expect({ version: got.version, value: toHex(got.value) }).toEqual({ version: r.version, value: r.value });
    }
    expect(outputs.results.map((r) => r.version)).toEqual([2, 0, 0, 0]);
  });
});
