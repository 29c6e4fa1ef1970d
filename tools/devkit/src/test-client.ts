/** A client of a local deployment, set up for tests. */
import { MemoryStore, SealpostClient, type SealpostClientOptions } from '@sealpost/client';
import type { LocalServices } from './local-services.ts';

/**
 * A client of `services` with an in-memory store, manual receiving, no
 * upkeep timer and no automatic delivery receipts (their 1 s batching timer
 * would add envelopes to tests that count them; receipt tests pass
 * `receipts: {…}`, which turns them on); `extra` overrides any of these.
 */
export function newTestClient(services: LocalServices, extra: Partial<SealpostClientOptions> = {}): SealpostClient {
  return new SealpostClient({
    store: new MemoryStore(),
    keyServerUrl: services.keyServerUrl,
    relayUrl: services.relayUrl,
    trustRoot: services.trustRoot,
    receive: { mode: 'manual' },
    upkeep: { automatic: false },
    receipts: { delivery: false },
    ...extra,
  });
}
