/**
 * SignalMessage field 6 (`addresses`, libsignal ≥ 0.91): the client names
 * this device and the peer device on every encrypt and decrypt, so the
 * PreKeySignalMessages it sends carry sender and recipient addresses, and a
 * received message whose addresses name anyone else is refused.
 */
import { describe, expect, it } from 'vitest';
import { BadMacError, decodePreKeySignalMessage, decodeSignalMessage, serializeAddresses } from '@sealpost/protocol';
import { unsealToContent } from '@sealpost/protocol/sealed-sender';
import type { ClientProblem, SealpostClient } from '../src/client.ts';
import { sessionOps, type SessionOps } from '../src/session-ops.ts';
import { useLocalServices } from './support/local-services.ts';

const local = useLocalServices();

/** The inner (type, contents) of every envelope queued for `client`, left on the relay. */
async function queuedInner(client: SealpostClient): Promise<{ id: string; type: number; contents: Uint8Array }[]> {
  const own = await client.store.identities.localAccount();
  const identity = { privateKey: own!.identityPrivateKey, publicKey: own!.identityPublicKey };
  const { envelopes } = await client.relay.fetch();
  return envelopes.map((e) => {
    const unsealed = unsealToContent(e.content, identity);
    return { id: e.id, type: unsealed.content.type, contents: unsealed.content.contents };
  });
}

describe('session addresses (SignalMessage field 6)', () => {
  it('PreKey messages the client sends carry sender and recipient addresses; later ones do not', async () => {
    const alice = local.client();
    const bob = local.client();
    await Promise.all([alice.register(), bob.register()]);
    await bob.addContact(alice.contactCard());
    await alice.addContact(bob.contactCard());

    await bob.send(alice.address.account, { text: 'first' });
    const [first] = await queuedInner(alice);
    expect(first?.type).toBe(3);
    const inner = decodePreKeySignalMessage(first!.contents).message;
    const expected = serializeAddresses(
      { name: bob.address.account, deviceId: bob.address.device },
      { name: alice.address.account, deviceId: alice.address.device },
    );
    expect(expected).toHaveLength(36);
    expect(inner.addresses).toEqual(expected);
    // Alice checks them (they name Bob's device and hers) and accepts.
    expect(await alice.poll()).toBe(1);
    expect((await alice.history(bob.address.account)).map((m) => m.decoded.text)).toEqual(['first']);

    // Once Alice answered, Bob's session is acknowledged: SignalMessages carry no field 6 (as libsignal).
    await alice.send(bob.address.account, { text: 'answer' });
    expect(await bob.poll()).toBe(1);
    await bob.send(alice.address.account, { text: 'second' });
    const [second] = await queuedInner(alice);
    expect(second?.type).toBe(2);
    expect(decodeSignalMessage(second!.contents).addresses).toBeUndefined();
    expect(await alice.poll()).toBe(1);
    expect((await alice.history(bob.address.account)).map((m) => m.decoded.text)).toEqual(['first', 'answer', 'second']);
  });

  it('refuses a PreKey message whose addresses name another recipient, keeping nothing of it', async () => {
    const alice = local.client();
    const carol = local.client();
    await Promise.all([alice.register(), carol.register()]);
    // Bob's client is genuine except that, while `misaddress` holds, its encrypt names Carol as the recipient.
    let misaddress = true;
    const sessions: SessionOps = {
      ...sessionOps,
      encrypt: (record, plaintext, keys, now, addresses) =>
        sessionOps.encrypt(record, plaintext, keys, now, misaddress && addresses !== undefined ? { ...addresses, remote: { name: carol.address.account, deviceId: 1 } } : addresses),
    };
    const bob = local.client({ sessions });
    await bob.register();
    await bob.addContact(alice.contactCard());
    const problems: ClientProblem[] = [];
    alice.on('error', (p) => problems.push(p));

    await bob.send(alice.address.account, { text: 'misaddressed' });
    const [queued] = await queuedInner(alice);
    expect(queued?.type).toBe(3);
    expect(decodePreKeySignalMessage(queued!.contents).message.addresses).toEqual(
      serializeAddresses({ name: bob.address.account, deviceId: bob.address.device }, { name: carol.address.account, deviceId: 1 }),
    );

    // Refused with the protocol's typed error, reported with the envelope id; nothing of the step is kept.
    expect(await alice.poll()).toBe(1);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.error).toBeInstanceOf(BadMacError);
    expect((problems[0]!.error as BadMacError).code).toBe('BAD_MAC');
    expect(problems[0]!.envelopeId).toBe(queued!.id);
    expect(await alice.store.sessions.load(bob.address)).toBeUndefined();
    expect(await alice.trustedIdentity(bob.address.account)).toBeUndefined();
    expect(await alice.store.history.count()).toBe(0);
    // As for every permanent decrypt failure today: recorded as processed, acknowledged, not offered again.
    expect(await alice.store.history.isProcessed(queued!.id)).toBe(true);
    expect((await alice.relay.fetch()).envelopes).toHaveLength(0);
    expect(await alice.poll()).toBe(0);

    // The prekeys the refused message named were not consumed: the same (still unanswered) session, correctly addressed, gets through.
    misaddress = false;
    await bob.send(alice.address.account, { text: 'addressed' });
    expect(await alice.poll()).toBe(1);
    expect((await alice.history(bob.address.account)).map((m) => m.decoded.text)).toEqual(['addressed']);
    expect(problems).toHaveLength(1);
  });
});
