/**
 * Which backend is active, and the caches it keeps.
 *
 * The node backend memoizes imported X25519 KeyObjects (node/x25519.ts):
 * at most 64 private keys (by array identity, each with a copy of its bytes
 * that is zeroed on eviction) and 16 public keys, least recently used out
 * first. They never change a result, only its cost. clearPrimitiveCaches()
 * drops them — e.g. after logging out, so no imported private key outlives
 * the account in memory, or in tests that measure cold costs. The web
 * backend keeps no caches.
 */
import { backend } from '#primitives-backend';
import type { PrimitivesBackendName } from './backend.ts';

/** The active primitives backend: 'node' (node:crypto) or 'web' (@noble/* + getRandomValues). */
export const primitivesBackend: PrimitivesBackendName = backend.name;

/** Empties every cache the active backend keeps (zeroing cached private-key copies). */
export function clearPrimitiveCaches(): void {
  backend.clearCaches();
}

/** Current entry counts of the backend's caches, by name (empty for web). */
export function primitiveCacheSizes(): Record<string, number> {
  return backend.cacheSizes();
}
