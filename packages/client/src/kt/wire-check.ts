/**
 * Shape checks of the key server's key-transparency answers (the JSON of
 * @sealpost/keytrans wire.ts), before anything is decoded or verified: a
 * hostile or broken server gets `KtError('KT_BAD_RESPONSE')`, never a crash
 * or an unbounded loop. The bytes inside are verified by the keytrans
 * verifier afterwards.
 */
import type { HandleLookupJson, KtConsistencyJson, KtSearchResponseJson } from '@sealpost/keytrans';
import { KtError } from './errors.ts';

/** A checkpoint note with its signatures is a few hundred bytes; 100 signature lines fit well within this. */
const MAX_CHECKPOINT_CHARS = 64 * 1024;
/** A search proof is about 1 KB (keytrans README); bounded generously. */
const MAX_PROOF_CHARS = 256 * 1024;
/** `last` plus at most 16 pending sizes. */
const MAX_CONSISTENCY = 17;
/** An RFC 6962 consistency proof within 2^48 leaves has at most ~2·48 hashes. */
const MAX_CONSISTENCY_HASHES = 128;

const bad = (what: string): KtError => new KtError('KT_BAD_RESPONSE', `key transparency: the key server's answer is malformed (${what})`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The body of `POST /v1/kt/search`, checked; a copy with only the known fields. */
export function checkSearchResponse(body: unknown): KtSearchResponseJson {
  if (!isObject(body)) throw bad('not an object');
  const { checkpoint, proof, consistency } = body;
  if (typeof checkpoint !== 'string' || checkpoint.length === 0 || checkpoint.length > MAX_CHECKPOINT_CHARS) throw bad('checkpoint');
  if (typeof proof !== 'string' || proof.length === 0 || proof.length > MAX_PROOF_CHARS) throw bad('proof');
  if (!Array.isArray(consistency) || consistency.length > MAX_CONSISTENCY) throw bad('consistency');
  const proofs: KtConsistencyJson[] = consistency.map((c: unknown) => {
    if (!isObject(c) || !isSize(c.from) || !Array.isArray(c.proof) || c.proof.length > MAX_CONSISTENCY_HASHES) throw bad('consistency entry');
    if (!c.proof.every((h: unknown) => typeof h === 'string' && h.length <= 64)) throw bad('consistency hash');
    return { from: c.from, proof: [...(c.proof as string[])] };
  });
  return { checkpoint, proof, consistency: proofs };
}

/** The body of `GET /v1/handles/:handle`, checked. */
export function checkHandleLookup(body: unknown): HandleLookupJson {
  if (!isObject(body) || typeof body.handle !== 'string' || typeof body.accountId !== 'string' || body.handle.length > 64 || body.accountId.length > 64) throw bad('handle lookup');
  return { handle: body.handle, accountId: body.accountId };
}
