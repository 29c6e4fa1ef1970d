/**
 * The one vitest fixture of the client's end-to-end tests: a key server and
 * a relay (the dev kit's `startLocalServices`) started before the file's
 * tests and stopped after them, a temporary directory for SQLite files, and
 * test clients of those services that are closed at the end as well.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { newTestClient, startLocalServices, type LocalServices, type LocalServicesOptions } from '@sealpost/devkit/services';
import type { SealpostClient, SealpostClientOptions } from '../../src/client.ts';

/** What `useLocalServices` gives a test file. */
export interface LocalServicesFixture {
  /** The running services (available inside tests and hooks). */
  readonly services: LocalServices;
  /** A path in the fixture's temporary directory (removed after the file's tests). */
  path(name: string): string;
  /** A client of the services (in-memory store, manual receiving, no upkeep timer unless overridden). */
  client(extra?: Partial<SealpostClientOptions>): SealpostClient;
  /** The arguments child-process fixtures take after their own: key server URL, relay URL, base64 trust root. */
  childArgs(): string[];
}

/** Options of `useLocalServices`. */
export interface UseLocalServicesOptions {
  /** Keep the relay's queue in this SQLite file of the temporary directory (default: in memory). */
  relayDb?: string;
  /** Service options passed on to `startLocalServices`. */
  services?: Omit<LocalServicesOptions, 'relayDb'>;
  /** Defaults of every `client()` (per-call `extra` wins). */
  clientDefaults?: Partial<SealpostClientOptions>;
}

/** Registers the start-up and shutdown hooks in the calling test file. */
export function useLocalServices(options: UseLocalServicesOptions = {}): LocalServicesFixture {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-client-'));
  let services: LocalServices | undefined;
  const clients: SealpostClient[] = [];
  beforeAll(async () => {
    services = await startLocalServices({ ...options.services, ...(options.relayDb === undefined ? {} : { relayDb: join(dir, options.relayDb) }) });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await services?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const running = (): LocalServices => {
    if (services === undefined) throw new Error('local services are not running (use the fixture inside tests)');
    return services;
  };
  return {
    get services() {
      return running();
    },
    path: (name) => join(dir, name),
    client(extra = {}) {
      const client = newTestClient(running(), { ...options.clientDefaults, ...extra });
      clients.push(client);
      return client;
    },
    childArgs() {
      const s = running();
      return [s.keyServerUrl, s.relayUrl, Buffer.from(s.trustRoot).toString('base64')];
    },
  };
}
