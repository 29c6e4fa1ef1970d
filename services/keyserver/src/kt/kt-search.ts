/**
 * `POST /v1/kt/search`'s answer (wire.ts): the label's greatest version at
 * the newest entry of the checkpoint searches prove against (the newest
 * witnessed one), as `encodeSearchProof` bytes that keytrans'
 * `verifySearchProof` checks, with that checkpoint's note (log signature
 * and the cosignatures held) and consistency proofs from the client's
 * `last` and `pending` sizes. Nothing here logs the label.
 */
import { type KtConsistencyJson, type KtSearchResponseJson, encodeSearchProof, inclusionProof } from '@sealpost/keytrans';
import { toBase64 } from '@sealpost/protocol/primitives';
import type { KtLog } from './kt-log.ts';

/** Thrown when the label has no version in the proven checkpoint. */
export class LabelNotLogged extends Error {
  constructor() {
    super('the label has no version in the proven checkpoint');
  }
}

export async function searchLabel(log: KtLog, label: Uint8Array, last: number | undefined, pending: readonly number[] = []): Promise<KtSearchResponseJson> {
  const size = log.provenSize;
  const position = size - 1;
  const tree = log.index.treeAt(position);
  const note = log.checkpointNote(size);
  if (size === 0 || tree === undefined || note === undefined) throw new LabelNotLogged();
  const found = await log.store.searchVersion(label, size);
  if (found === undefined) throw new LabelNotLogged();
  const { row } = found;
  // Known after the label's first search; proved (and cached) then.
  const next = found.next ?? (await log.nextVrfProof(row));
  const proof = encodeSearchProof({
    entry: log.index.entries[position]!,
    inclusion: inclusionProof(log.index.leaves, position, size),
    version: row.version,
    opening: row.opening,
    value: row.value,
    vrfProof: row.vrfProof,
    nextVrfProof: next.proof,
    prefixProof: tree.prove([row.searchKey, next.searchKey]),
  });
  const consistency: KtConsistencyJson[] = [];
  const seen = new Set<number>();
  for (const from of [...(last === undefined ? [] : [last]), ...pending]) {
    // A consistency proof from 0 is meaningless (RFC 6962), and none exists towards a smaller size.
    if (from < 1 || from > size || seen.has(from)) continue;
    seen.add(from);
    consistency.push({ from, proof: log.consistency(from, size).map((h) => toBase64(h)) });
  }
  return { checkpoint: note, proof: toBase64(proof), consistency };
}
