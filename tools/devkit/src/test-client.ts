/** A client of a local deployment, set up for tests. */
import { MemoryStore, SealpostClient, type SealpostClientOptions } from '@sealpost/client';
import type { LocalServices } from './local-services.ts';

/**
 * A client of `services` with an in-memory store, manual receiving and no
 * upkeep timer; `extra` overrides any of these.
 */
export function newTestClient(services: LocalServices, extra: Partial<SealpostClientOptions> = {}): SealpostClient {
  return new SealpostClient({
    store: new MemoryStore(),
    keyServerUrl: services.keyServerUrl,
    relayUrl: services.relayUrl,
    trustRoot: services.trustRoot,
    receive: { mode: 'manual' },
    upkeep: { automatic: false },
    ...extra,
  });
}
