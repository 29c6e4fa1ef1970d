/** Prekey upkeep and the outbox against the real key server and relay. */
import { describe, expect, it } from 'vitest';
import { ClientError, NetworkError } from '../src/errors.ts';
import { useLocalServices } from './support/local-services.ts';

const local = useLocalServices({ relayDb: 'relay.db' });
const newClient = local.client;

describe('prekey upkeep with the real key server', () => {
  it('registers with 100 + 100 one-time keys, replenishes by 100 below 10, and rotates on schedule', async () => {
    let now = Date.now();
    const bob = newClient({ now: () => now });
    const fetcher = newClient();
    await bob.register();
    await fetcher.register();
    expect(await bob.keyServer.preKeyCounts()).toEqual({ ec: 100, kyber: 100 });
    // 91 bundle fetches consume 91 of each kind: 9 left, below the threshold of 10.
    const bundles = [];
    for (let i = 0; i < 91; i++) bundles.push(...(await fetcher.keyServer.bundles(bob.address.account, 1)));
    expect(new Set(bundles.map((b) => b.preKey?.keyId)).size).toBe(91);
    expect(await bob.keyServer.preKeyCounts()).toEqual({ ec: 9, kyber: 9 });
    const report = await bob.runUpkeep();
    expect(report).toMatchObject({ uploadedEc: 100, uploadedKyber: 100, rotatedSigned: false });
    expect(await bob.keyServer.preKeyCounts()).toEqual({ ec: 109, kyber: 109 });
    // The refill's ids never collide with ids handed out before.
    const after = await fetcher.keyServer.bundles(bob.address.account, 1);
    expect(bundles.map((b) => b.preKey!.keyId)).not.toContain(after[0]!.preKey!.keyId);
    // Two days later the signed and last-resort keys rotate; the server serves the new signed key.
    const oldSigned = after[0]!.signedPreKey.keyId;
    now += 2 * 24 * 3600_000;
    expect(await bob.runUpkeep()).toMatchObject({ rotatedSigned: true, rotatedLastResort: true });
    const rotated = await fetcher.keyServer.bundles(bob.address.account, 1);
    expect(rotated[0]!.signedPreKey.keyId).not.toBe(oldSigned);
    // The replaced key's private half is kept for the grace period (in-flight sessions may use it).
    expect((await bob.store.signedPreKeys.load(oldSigned))?.replacedAt).toBe(now);
    await bob.close();
    await fetcher.close();
  });

  it('a send that fails at the relay stays in the outbox and is delivered by flushOutbox()', async () => {
    const alice = newClient();
    const bob = newClient();
    await alice.register();
    await bob.register();
    await alice.addContact(bob.contactCard());
    await alice.send(bob.address.account, { text: 'first' });
    await local.services.stopRelay();
    let error: unknown;
    try {
      await alice.send(bob.address.account, { text: 'while the relay was down' });
    } catch (e) {
      error = e;
    }
    // A stopped relay: a NetworkError (it was the generic NETWORK_ERROR) whose code names what happened —
    // the kept-alive socket was closed under the request, or a new connection was refused.
    expect(error).toBeInstanceOf(NetworkError);
    expect(['CONNECTION_RESET', 'CONNECTION_REFUSED']).toContain((error as ClientError).code);
    expect(await alice.store.outbox.batches()).toHaveLength(1);
    expect((await alice.history(bob.address.account)).map((m) => m.decoded.text)).toEqual(['first']);
    await local.services.restartRelay();
    expect(await alice.flushOutbox()).toBe(1);
    expect(await alice.store.outbox.batches()).toHaveLength(0);
    const got: string[] = [];
    bob.on('message', (m) => got.push(m.content.text ?? ''));
    await bob.poll();
    expect(got).toEqual(['first', 'while the relay was down']);
    // The sender's history gained the message when the relay accepted it (not before).
    expect((await alice.history(bob.address.account)).map((m) => m.decoded.text)).toEqual(['first', 'while the relay was down']);
    await alice.close();
    await bob.close();
  });
});
