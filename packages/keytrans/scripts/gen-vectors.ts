/**
 * Writes Sealpost's generated key-transparency vectors
 * (the repository's test-vectors/keytrans-*.json) from the fixed inputs in
 * test/support/keytrans-vectors.ts. Run from the repository root:
 *   npx tsx packages/keytrans/scripts/gen-vectors.ts
 * The files are committed; the tests recompute and compare them.
 */
import { writeFileSync } from 'node:fs';
import {
  COMMITMENT_CASES,
  GENERATED_SOURCE,
  PREFIX_TREE_INPUTS,
  SEARCH_INPUTS,
  computeCommitmentCase,
  computePrefixTreeVector,
  computeSearchVector,
} from '../test/support/keytrans-vectors.ts';

const dir = new URL('../../../test-vectors/', import.meta.url);
const write = (name: string, doc: object): void => {
  writeFileSync(new URL(name, dir), `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`wrote test-vectors/${name}`);
};

write('keytrans-commitment.json', {
  name: 'KEYTRANS commitments (HMAC-SHA256 with Kc over CommitmentValue)',
  source: GENERATED_SOURCE,
  spec: 'draft-ietf-keytrans-protocol @526cc8a, "Commitment" and "Update Format" (contactMonitoring: empty UpdateSuffix); Kc of suite 0x0002',
  cases: COMMITMENT_CASES.map((c) => ({ ...c, outputs: computeCommitmentCase(c) })),
});
write('keytrans-prefix-tree.json', {
  name: 'VRF-indexed prefix tree: search keys, roots after each insert, batch PrefixProofs',
  source: GENERATED_SOURCE,
  spec: 'draft-ietf-keytrans-protocol @526cc8a, "Verifiable Random Function", "Prefix Tree" and "Tree Proofs / Prefix Tree"; ECVRF-EDWARDS25519-SHA512-TAI, output truncated to 32 bytes',
  inputs: PREFIX_TREE_INPUTS,
  outputs: computePrefixTreeVector(PREFIX_TREE_INPUTS),
});
write('keytrans-search.json', {
  name: 'Phase-1 search proofs against a 2-of-3 witnessed C2SP checkpoint (suite 0xF001: RFC 6962 log hashing)',
  source: GENERATED_SOURCE,
  spec: 'packages/keytrans/README.md "Search proof"; C2SP signed-note, tlog-checkpoint, tlog-cosignature (cosignature/v1), tlog-policy @5ba5ee8',
  inputs: SEARCH_INPUTS,
  outputs: computeSearchVector(SEARCH_INPUTS),
});
