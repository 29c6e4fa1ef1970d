/**
 * The strict shape check of a `POST /v1/kt/search` answer (wire.ts
 * KtSearchResponseJson), from untrusted parsed JSON to typed bytes.
 * Anything else throws KeyTransparencyError MALFORMED.
 */
import { decodeBase64 } from '../codec.ts';
import { ensure } from '../errors.ts';
import { HASH_SIZE, MAX_TREE_SIZE } from '../log-tree.ts';
import type { KtSearchRequestJson } from '../wire.ts';
import { MAX_CONSISTENCY_HASHES, MAX_CONSISTENCY_PROOFS, MAX_NOTE_CHARS, MAX_PROOF_CHARS } from './limits.ts';

export interface ParsedSearchResponse {
  note: string;
  proof: Uint8Array;
  proofBase64: string;
  /** from size → the proof's hashes and their base64 */
  consistency: Map<number, { hashes: Uint8Array[]; base64: string[] }>;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Checks the response's shape; every `from` must be a size the request named (its `last` or a `pending` size), at most once. */
export function parseSearchResponse(response: unknown, request: KtSearchRequestJson): ParsedSearchResponse {
  ensure(isObject(response), 'MALFORMED', 'a search response is a JSON object');
  const { checkpoint, proof, consistency } = response;
  ensure(typeof checkpoint === 'string' && checkpoint.length <= MAX_NOTE_CHARS, 'MALFORMED', 'checkpoint is a note of bounded length');
  ensure(typeof proof === 'string' && proof.length <= MAX_PROOF_CHARS, 'MALFORMED', 'proof is base64 of bounded length');
  ensure(Array.isArray(consistency) && consistency.length <= MAX_CONSISTENCY_PROOFS, 'MALFORMED', `consistency is an array of at most ${MAX_CONSISTENCY_PROOFS}`);
  const asked = new Set<number>([...(request.last === undefined ? [] : [request.last]), ...(request.pending ?? [])]);
  const out = new Map<number, { hashes: Uint8Array[]; base64: string[] }>();
  for (const c of consistency as unknown[]) {
    ensure(isObject(c), 'MALFORMED', 'a consistency proof is an object');
    const { from, proof: hashes } = c;
    ensure(typeof from === 'number' && Number.isSafeInteger(from) && from >= 0 && from <= MAX_TREE_SIZE, 'MALFORMED', 'consistency.from is a tree size');
    ensure(asked.has(from), 'MALFORMED', `a consistency proof from size ${from}, which the request did not name`);
    ensure(!out.has(from), 'MALFORMED', `two consistency proofs from size ${from}`);
    ensure(Array.isArray(hashes) && hashes.length <= MAX_CONSISTENCY_HASHES, 'MALFORMED', 'a consistency proof is at most 64 hashes');
    const base64: string[] = [];
    const decoded: Uint8Array[] = [];
    for (const h of hashes as unknown[]) {
      ensure(typeof h === 'string', 'MALFORMED', 'a consistency hash is base64');
      const bytes = decodeBase64(h, 'consistency hash');
      ensure(bytes.length === HASH_SIZE, 'MALFORMED', 'a consistency hash is 32 bytes');
      base64.push(h);
      decoded.push(bytes);
    }
    out.set(from, { hashes: decoded, base64 });
  }
  return { note: checkpoint, proof: decodeBase64(proof, 'search proof'), proofBase64: proof, consistency: out };
}
