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
import { deriveAccessKey, generateIdentityKeyPair } from '@sealpost/protocol';
import { createSenderCertificate, sealV1 } from '@sealpost/protocol/sealed-sender';
import type { ClientProblem } from '../src/client.ts';
import { encodeContent } from '../src/content.ts';
import { sessionOps } from '../src/session-ops.ts';
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

    const certified = generateIdentityKeyPair();
    const sessionIdentity = generateIdentityKeyPair();
    const [bundle] = await mallory.keyServer.bundles(alice.address.account, alice.address.device);
    const now = Date.now();
    const sessionKeys = { identity: sessionIdentity, registrationId: 4243 };
    const record = sessionOps.initiate(undefined, bundle!, sessionKeys, now);
    const enc = sessionOps.encrypt(record, encodeContent({ timestamp: now, text: 'mismatched' }), sessionKeys, now);
    const certificate = createSenderCertificate({
      senderUuid: bob.address.account,
      senderDeviceId: 1,
      identityKey: certified.publicKey,
      expires: now + 3600_000,
      serverCertificate: local.services.serverCertificate,
      serverPrivateKey: local.services.serverPrivateKey,
    });
    const sealed = sealV1({
      content: { type: enc.type, senderCertificate: certificate.serialized, contents: enc.body },
      senderIdentity: certified,
      recipientIdentityPublic: enc.remoteIdentityKey,
    });
    await mallory.relay.send(
      alice.address.account,
      deriveAccessKey(alice.contactCard().profileKey),
      [{ deviceId: alice.address.device, registrationId: enc.remoteRegistrationId, content: sealed }],
      now,
    );

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
