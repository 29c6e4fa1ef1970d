/**
 * Account deletion end to end through a real key server and relay:
 * `client.deleteAccount()` deletes Carol's queues at the relay and her
 * account at the key server, marks her store deleted (identity overwritten,
 * prekeys gone) and closes the client. Her contacts — Alice with two devices
 * and an existing session, Bob without one — get `AccountDeletedError`
 * (`ACCOUNT_DELETED`) on their next send, a `contactDeleted` event, and no
 * outbox entry that would retry forever; Carol's second device is refused.
 * A crash between the relay purge and the key-server deletion is completed
 * by calling `deleteAccount()` again on the reopened store.
 */
import { describe, expect, it } from 'vitest';
import { AccountDeletedError } from '../src/account-deletion/errors.ts';
import { ACCOUNT_DELETED_SETTING } from '../src/account-deletion/delete-account.ts';
import type { SealpostClient } from '../src/client.ts';
import { ClientError, ServiceError } from '../src/errors.ts';
import { SqliteStore } from '../src/sqlite.ts';
import { linkDevice } from './support/link.ts';
import { useLocalServices } from './support/local-services.ts';

// Few one-time keys per device: this file registers nine devices, and key generation is what costs.
const local = useLocalServices({ relayDb: 'relay.db', clientDefaults: { upkeep: { automatic: false, batchSize: 5, minimumCount: 2 } } });

function deletedContacts(client: SealpostClient): string[] {
  const out: string[] = [];
  client.on('contactDeleted', (e) => out.push(e.account));
  return out;
}

async function befriend(a: SealpostClient, b: SealpostClient): Promise<void> {
  await a.addContact(b.contactCard());
  await b.addContact(a.contactCard());
}

describe('client.deleteAccount', () => {
  it('deletes on both services and locally; contacts get ACCOUNT_DELETED, an event and no retrying outbox entry', async () => {
    const carolPath = local.path('carol.db');
    const carol = local.client({ store: new SqliteStore(carolPath) });
    const carol2 = local.client();
    const alice = local.client();
    const alice2 = local.client();
    const bob = local.client();
    for (const c of [carol, alice, bob]) await c.register();
    await linkDevice(carol, carol2);
    await linkDevice(alice, alice2);
    await befriend(alice, carol);
    await befriend(bob, carol);
    const carolId = carol.address.account;

    // A session both ways, then mail for both of Carol's devices that she never reads.
    await alice.send(carolId, { text: 'hi Carol' });
    await carol.poll();
    await carol.send(alice.address.account, { text: 'hi Alice' });
    await alice.poll();
    await alice2.poll();
    await alice.send(carolId, { text: 'unread 1' });
    await alice2.send(carolId, { text: 'unread 2' });
    const relayStore = local.services.relay.relay.store;
    expect(await relayStore.depth(carolId, 1, Date.now())).toBeGreaterThan(0);
    expect(await relayStore.depth(carolId, 2, Date.now())).toBeGreaterThan(0);

    // A linked device cannot delete the account.
    await expect(carol2.deleteAccount()).rejects.toBeInstanceOf(ClientError);
    expect((await carol.devices()).map((d) => d.deviceId)).toEqual([1, 2]);

    await carol.deleteAccount();
    // The relay holds nothing for her any more, the key server answers 410.
    for (const d of [1, 2]) expect(await relayStore.pending(carolId, d, Date.now(), 100)).toEqual([]);
    expect(await relayStore.accessKeyHash(carolId)).toBeUndefined();
    const list = await fetch(`${local.services.keyServerUrl}/v1/accounts/${carolId}/devices`);
    expect(list.status).toBe(410);
    // The client is closed; the store is marked deleted, its identity overwritten and its prekeys gone.
    await expect(carol.send(alice.address.account, { text: 'x' })).rejects.toMatchObject({ code: 'CLOSED' });
    const reopened = local.client({ store: new SqliteStore(carolPath) });
    await reopened.ready();
    expect(reopened.registered).toBe(false);
    expect(() => reopened.address).toThrow(AccountDeletedError);
    await expect(reopened.register()).rejects.toMatchObject({ code: 'ACCOUNT_DELETED' });
    expect(Number(await reopened.store.settings.get(ACCOUNT_DELETED_SETTING))).toBeGreaterThan(0);
    expect(await reopened.store.preKeys.list()).toEqual([]);
    expect(await reopened.store.signedPreKeys.list()).toEqual([]);
    expect(await reopened.store.kyberPreKeys.list()).toEqual([]);
    expect((await reopened.store.identities.localAccount())?.account).toBeUndefined();
    // Her history stays readable locally until the app deletes the database.
    expect((await reopened.store.history.conversation(alice.address.account)).length).toBeGreaterThan(0);

    // Carol's second device is refused, with the typed error.
    await expect(carol2.poll()).rejects.toMatchObject({ code: 'ACCOUNT_DELETED' });

    // Alice (session exists) and her second device: typed error, event, nothing left to retry.
    const aliceSaw = deletedContacts(alice);
    const alice2Saw = deletedContacts(alice2);
    const failed = await alice.send(carolId, { text: 'are you there?' }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(AccountDeletedError);
    expect(failed).toMatchObject({ code: 'ACCOUNT_DELETED', account: carolId, status: 410, service: 'relay' });
    expect(aliceSaw).toEqual([carolId]);
    expect(await alice.store.outbox.batches()).toEqual([]);
    expect((await alice.history(carolId)).map((m) => m.decoded.text)).not.toContain('are you there?');
    await expect(alice2.send(carolId, { text: 'me too' })).rejects.toMatchObject({ code: 'ACCOUNT_DELETED', account: carolId });
    expect(alice2Saw).toEqual([carolId]);
    expect(await alice2.store.outbox.batches()).toEqual([]);

    // Bob has no session: his bundle fetch (device list) is refused the same way.
    const bobSaw = deletedContacts(bob);
    await expect(bob.send(carolId, { text: 'hello?' })).rejects.toMatchObject({ code: 'ACCOUNT_DELETED', account: carolId, service: 'key server', status: 410 });
    expect(bobSaw).toEqual([carolId]);
    await expect(bob.keyServer.bundles(carolId)).rejects.toBeInstanceOf(AccountDeletedError);

    // Everyone else goes on as before, in both directions.
    await befriend(alice, bob);
    await bob.send(alice.address.account, { text: 'still here' });
    expect(await alice.poll()).toBeGreaterThan(0);
    await alice.send(bob.address.account, { text: 'me too' });
    expect(await bob.poll()).toBeGreaterThan(0);
  });

  it('a batch the outbox kept (relay down) is dropped, not retried, once its recipient is deleted', async () => {
    const dan = local.client();
    const erin = local.client();
    await dan.register();
    await erin.register();
    await befriend(dan, erin);
    const danId = dan.address.account;
    await erin.send(dan.address.account, { text: 'first' });
    await dan.poll();
    await local.services.stopRelay();
    await expect(erin.send(dan.address.account, { text: 'queued locally' })).rejects.toMatchObject({ code: expect.stringMatching(/CONNECTION_REFUSED|CONNECTION_RESET|NETWORK_ERROR/) });
    expect((await erin.store.outbox.batches()).length).toBeGreaterThan(0);
    await local.services.restartRelay();
    await dan.deleteAccount();
    const saw = deletedContacts(erin);
    const problems: unknown[] = [];
    erin.on('error', (p) => problems.push(p.error));
    expect(await erin.flushOutbox()).toBe(0);
    expect(await erin.store.outbox.batches()).toEqual([]);
    expect(saw).toEqual([danId]);
    expect(problems.some((e) => e instanceof AccountDeletedError && e.account === danId)).toBe(true);
  });

  it('a crash between the relay purge and the key-server deletion is completed by calling it again', async () => {
    const path = local.path('frank.db');
    const frank = local.client({ store: new SqliteStore(path) });
    const gina = local.client();
    await frank.register();
    await gina.register();
    await befriend(frank, gina);
    const frankId = frank.address.account;
    await gina.send(frankId, { text: 'before' });
    // Step 1 only, then the process "dies".
    expect(await frank.relay.deleteAccount()).toBe(1);
    await frank.close();
    // Consistent in between: nothing is queued for Frank (his access key is gone), his account still exists.
    const between = await gina.send(frankId, { text: 'in between' }).catch((e: unknown) => e);
    expect(between).toBeInstanceOf(ServiceError);
    expect(between).toMatchObject({ status: 401, serviceCode: 'UNAUTHORIZED_ACCESS' });
    expect(await local.services.relay.relay.store.depth(frankId, 1, Date.now())).toBe(0);
    // (The refused batch stays in Gina's outbox, as for any refusal that is not a device mismatch.)
    expect((await gina.store.outbox.batches()).length).toBe(1);
    // Restarted: still registered; deleting again completes every step.
    const again = local.client({ store: new SqliteStore(path) });
    await again.ready();
    expect(again.registered).toBe(true);
    await again.deleteAccount();
    await expect(gina.send(frankId, { text: 'after' })).rejects.toMatchObject({ code: 'ACCOUNT_DELETED', account: frankId });
    // The next flush drops the batch from in between instead of retrying it forever.
    expect(await gina.flushOutbox()).toBe(0);
    expect(await gina.store.outbox.batches()).toEqual([]);
  });

  it('a started client (WebSocket receiving) deletes and closes cleanly; its contact is told', async () => {
    const hank = local.client({ receive: { mode: 'websocket' } });
    const ivy = local.client();
    await hank.register();
    await ivy.register();
    await befriend(hank, ivy);
    const states: string[] = [];
    hank.on('connection', (s) => states.push(s));
    await hank.start();
    await ivy.send(hank.address.account, { text: 'ping' });
    const hankId = hank.address.account;
    await hank.deleteAccount();
    await expect(hank.poll()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(states).toContain('open');
    const saw = deletedContacts(ivy);
    await expect(ivy.send(hankId, { text: 'pong?' })).rejects.toMatchObject({ code: 'ACCOUNT_DELETED', account: hankId });
    expect(saw).toEqual([hankId]);
  });
});
