/**
 * Where this page keeps its account, sessions, history and its own records
 * (contacts, name, warnings): the client's browser store — IndexedDB, one
 * Web Lock per database around every transaction, so the tabs of one
 * profile share one device without interleaving a ratchet step.
 */
import { openBrowserStore as openClientBrowserStore, requestPersistentStorage, type ClientStore } from '@sealpost/client/browser';

/** The IndexedDB database of this page (one account per browser profile and origin). */
export const STORE_NAME = 'sealpost-web';

/**
 * Opens this browser profile's store, first asking the browser to keep it
 * under storage pressure (`navigator.storage.persist`; a refusal is not an
 * error: the store still works, it may just be evicted).
 */
export async function openBrowserStore(): Promise<ClientStore> {
  await requestPersistentStorage().catch(() => false);
  return openClientBrowserStore({ name: STORE_NAME });
}
