/**
 * `client.deleteAccount()`: deleting this device's account everywhere, in
 * an order that can be resumed after a crash at any point:
 *
 *   1. relay `DELETE /v1/accounts/me` — every queue of the account and its
 *      access-key hash (senders are refused from here on);
 *   2. key server `DELETE /v1/accounts/me` — identity key, devices, prekeys,
 *      codes, with a tombstone (device lists and bundles answer 410
 *      `ACCOUNT_DELETED`, the id is never issued again);
 *   3. the local store, in one transaction: the "deleted" mark, the local
 *      identity replaced by a fresh unregistered one (the old identity
 *      private key, device secret and profile key are overwritten) and every
 *      private prekey removed.
 *
 * Both service steps are idempotent: run again after a crash between 1 and
 * 2, step 1 purges nothing new and step 2 deletes; after 2, the relay
 * step's credential no longer authenticates (401 `ACCOUNT_DELETED`), which
 * counts as done — the relay purges a deleted account's queues itself when
 * it next looks the account up. Only the primary device may delete (403
 * from both services otherwise).
 *
 * What stays in the store: message history, contacts and sessions with
 * them (readable by the app, useless for sending). Delete the database
 * (the SQLite file, the IndexedDB database) to erase them too.
 */
import { generateIdentityKeyPair } from '@sealpost/protocol';
import { ClientError } from '../errors.ts';
import { generateRegistrationId } from '../keys.ts';
import type { KeyServerClient } from '../keyserver-client.ts';
import type { RelayClient } from '../relay-client.ts';
import type { ClientStore, PreKeyKind, RegisteredAccount } from '../store/types.ts';
import { preKeyTable } from '../store/types.ts';
import { isAccountDeleted } from './errors.ts';

/** The settings key of the "this store's account was deleted" mark (ms since epoch). */
export const ACCOUNT_DELETED_SETTING = 'account.deletedAt';

/** What deleting needs. */
export interface AccountDeletionDeps {
  store: ClientStore;
  keyServer: KeyServerClient;
  relay: RelayClient;
  now: () => number;
}

/** When this store's account was deleted (ms), or undefined. */
export async function accountDeletedAt(store: ClientStore): Promise<number | undefined> {
  const v = await store.settings.get(ACCOUNT_DELETED_SETTING);
  return v === undefined ? undefined : Number(v);
}

/** Runs the three steps above for `own` (the primary device). */
export async function deleteOwnAccount(deps: AccountDeletionDeps, own: RegisteredAccount): Promise<void> {
  if (own.device !== 1) throw new ClientError('SERVICE_ERROR', 'only the primary device can delete the account (the services answer 403)');
  // 1. Relay first: once the key server deleted the account, this credential is refused.
  try {
    await deps.relay.deleteAccount();
  } catch (e) {
    if (!isAccountDeleted(e)) throw e;
  }
  // 2. Key server (an earlier run that got this far left a tombstone: 401 ACCOUNT_DELETED).
  try {
    await deps.keyServer.deleteAccount();
  } catch (e) {
    if (!isAccountDeleted(e)) throw e;
  }
  // 3. Local: marked, secrets overwritten, prekeys gone — one transaction.
  const fresh = generateIdentityKeyPair();
  await deps.store.transaction(async (tx) => {
    await tx.settings.set(ACCOUNT_DELETED_SETTING, String(deps.now()));
    await tx.identities.setLocalAccount({ identityPrivateKey: fresh.privateKey, identityPublicKey: fresh.publicKey, registrationId: generateRegistrationId() });
    for (const kind of ['ec', 'signed', 'kyber'] as PreKeyKind[]) {
      const table = preKeyTable(tx, kind);
      for (const key of await table.list()) await table.remove(key.id);
    }
  });
}
