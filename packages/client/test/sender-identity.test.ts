/**
 * The three identity bindings of a received message: the sender
 * certificate's identity key must equal the sealed layer's static key
 * (unseal), the identity on record (unseal's expected key, then the trust
 * policy), and the session's remote identity (the protocol's decrypt).
 * Here an insider with the server key makes the first two agree but starts
 * the session with yet another identity key: the message must be refused,
 * and nothing of it (trusted key, session, history) may be kept.
 */
import { describe, expect, it } from 'vitest';
import { generateIdentityKeyPair } from '@sealpost/protocol';
import { impersonate } from '@sealpost/devkit/services';
import type { ClientProblem } from '../src/client.ts';
import { useLocalServices } from './support/local-services.ts';

const local = useLocalServices();

describe('sender identity bindings', () => {
  it('refuses a message whose session speaks for another identity than its (valid) certificate', async () => {
    const alice = local.client();
    const bob = local.client();
    const mallory = local.client();
    await Promise.all([alice.register(), bob.register(), mallory.register()]);
    const problems: ClientProblem[] = [];
    alice.on('error', (p) => problems.push(p));

    await impersonate(local.services, mallory, alice, bob.address.account, 'mismatched', 1, { sessionIdentity: generateIdentityKeyPair() });

    expect(await alice.poll()).toBe(1);
    expect(problems.map((p) => (p.error as { code?: string }).code)).toEqual(['UNTRUSTED_IDENTITY']);
    expect(await alice.trustedIdentity(bob.address.account)).toBeUndefined();
    expect(await alice.store.sessions.load({ account: bob.address.account, device: 1 })).toBeUndefined();
    expect(await alice.store.history.count()).toBe(0);

    // The real Bob is still trusted on first use afterwards.
    await bob.addContact(alice.contactCard());
    await bob.send(alice.address.account, { text: 'real bob' });
    expect(await alice.poll()).toBe(1);
    expect((await alice.history(bob.address.account)).map((m) => m.decoded.text)).toEqual(['real bob']);
    expect(problems).toHaveLength(1);
    expect(await alice.trustedIdentity(bob.address.account)).toEqual((await bob.store.identities.localAccount())?.identityPublicKey);
  });
});
