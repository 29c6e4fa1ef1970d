/**
 * The verified-VRF cache: an ECVRF proof is verified once per (VRF key,
 * label, version, proof bytes). The key is SHA-256(vrfPublicKey ‖
 * VrfInput(label, version) ‖ proof), so a different proof, label, version
 * or pinned key never hits; the value is the proof's 32-byte output.
 */
import { concatBytes, sha256, toHex } from '@sealpost/protocol/primitives';
import { type VerifiedSearch, vrfInput } from '../search-proof.ts';
import { MAX_VRF_CACHE } from './limits.ts';
import type { KtClientState, KtPinned } from './types.ts';

export function vrfCacheKey(pinned: KtPinned, input: Uint8Array, proof: Uint8Array): string {
  return toHex(sha256(concatBytes(pinned.vrfPublicKey, input, proof)));
}

/** The `vrfCached` hook for verifySearchProof over the state's cache. */
export function vrfCacheLookup(state: KtClientState, pinned: KtPinned): (input: Uint8Array, proof: Uint8Array) => Uint8Array | undefined {
  // The key covers the VRF key, the input and the proof bytes; the output is a function of them.
  return (input, proof) => state.vrfCache.get(vrfCacheKey(pinned, input, proof));
}

/** The cache with a verified search's two proofs added (a new map; the oldest evicted beyond MAX_VRF_CACHE); the same map when both were there. */
export function cacheVrf(state: KtClientState, pinned: KtPinned, label: Uint8Array, search: VerifiedSearch): ReadonlyMap<string, Uint8Array> {
  const add: [string, Uint8Array][] = [
    [vrfCacheKey(pinned, vrfInput(label, search.version), search.vrfProof), search.vrfOutput],
    [vrfCacheKey(pinned, vrfInput(label, search.version + 1), search.nextVrfProof), search.nextVrfOutput],
  ];
  if (add.every(([k]) => state.vrfCache.has(k))) return state.vrfCache;
  const cache = new Map(state.vrfCache);
  for (const [k, out] of add) if (!cache.has(k)) cache.set(k, out.slice());
  for (const k of cache.keys()) {
    if (cache.size <= MAX_VRF_CACHE) break;
    cache.delete(k);
  }
  return cache;
}
