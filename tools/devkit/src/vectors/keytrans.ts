/**
 * The vector runner's handlers for Sealpost's generated key-transparency
 * vectors (test-vectors/keytrans-*.json): every output is recomputed from
 * the file's inputs by @sealpost/keytrans and must be byte-identical.
 * packages/keytrans/test/generated-vectors.test.ts also checks each with
 * the verifying side.
 */
import { type Json, list, s } from './json-fields.ts';
import {
  type CommitmentCase,
  type PrefixTreeInputs,
  type SearchInputs,
  computeCommitmentCase,
  computePrefixTreeVector,
  computeSearchVector,
} from './keytrans-vector.ts';
import type { Tally } from './tally.ts';

const canonical = (x: unknown) => JSON.stringify(x);
const same = (regenerated: unknown, outputs: unknown): true | string => canonical(regenerated) === canonical(outputs) || 'regenerated outputs differ from the file';

export const KEYTRANS_HANDLERS: Record<string, (tally: Tally, doc: Json) => void> = {
  'keytrans-commitment.json': (tally, doc) => {
    for (const c of list(doc, 'cases')) tally.check(s(c, 'name'), () => same(computeCommitmentCase(c as unknown as CommitmentCase), c['outputs']));
  },
  'keytrans-prefix-tree.json': (tally, doc) => {
    tally.check('prefix tree: roots, VRF keys and batch proofs', () => same(computePrefixTreeVector(doc['inputs'] as unknown as PrefixTreeInputs), doc['outputs']));
  },
  'keytrans-search.json': (tally, doc) => {
    tally.check('log, witnessed checkpoint and search proofs', () => same(computeSearchVector(doc['inputs'] as unknown as SearchInputs), doc['outputs']));
  },
};
