/**
 * Where this page keeps its account, sessions and history. Until the
 * client's persistent browser store lands, an in-memory store: the account
 * lives as long as the tab.
 */
import { MemoryStore, type ClientStore } from '@sealpost/client';

/** True when the store survives a reload. */
export const STORE_PERSISTS = false;

/** Opens this browser profile's store. */
export async function openBrowserStore(): Promise<ClientStore> {
  return new MemoryStore();
}
