/**
 * Issue 11 item 14 over the real services: an envelope the receiver cannot
 * decrypt is kept in its quarantine (not lost), the sender gets a
 * decryption-error message, re-establishes the session from a fresh bundle
 * and resends, and the receiver gets the message. A wrong trust root is
 * refused at construction (malformed) or at start() (a valid key that the
 * key server's certificates do not chain to).
 */
import { describe, expect, it } from 'vitest';
import { BadMacError, generateCurveKeyPair } from '@sealpost/protocol';
import { SealpostClient } from '../src/client.ts';
import type { ClientProblem } from '../src/client-types.ts';
import { ClientError } from '../src/errors.ts';
import { MAX_RESENDS } from '../src/outgoing.ts';
import { sessionOps, type SessionOps } from '../src/session-ops.ts';
import type { ResendReport } from '../src/recovery.ts';
import { MemoryStore } from '../src/store/memory.ts';
import { useLocalServices } from './support/local-services.ts';

const local = useLocalServices();

/** Texts received from `peer`, oldest first. */
const texts = async (client: SealpostClient, peer: string) => (await client.history(peer)).filter((m) => m.direction === 'in').map((m) => m.decoded.text);

describe('undecryptable envelopes are quarantined and recovered', () => {
  it('a receiver that lost its session: quarantine, decryption-error message, fresh session, resend, delivered', async () => {
    const alice = local.client();
    const bob = local.client();
    await Promise.all([alice.register(), bob.register()]);
    await alice.addContact(bob.contactCard());
    await alice.send(bob.address.account, { text: 'hello' });
    expect(await bob.poll()).toBe(1);
    await bob.send(alice.address.account, { text: 'hi back' });
    expect(await alice.poll()).toBe(1);
    await alice.send(bob.address.account, { text: 'on the answered session' });
    expect(await bob.poll()).toBe(1);

    // Bob loses his session with Alice (state dropped); her next message cannot be decrypted.
    await bob.store.sessions.remove(alice.address);
    const bobProblems: ClientProblem[] = [];
    bob.on('error', (p) => bobProblems.push(p));
    const sent = await alice.send(bob.address.account, { text: 'do you read me?' });
    expect(await bob.poll()).toBe(1);
    expect(bobProblems).toHaveLength(1);
    expect((bobProblems[0]!.error as ClientError).code).toBe('NO_SESSION');
    expect(bobProblems[0]!.quarantined).toBe(true);
    // Not lost: the envelope is in Bob's quarantine, and the relay's copy was acknowledged.
    const quarantined = await bob.quarantined();
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]).toMatchObject({ envelopeId: bobProblems[0]!.envelopeId, sender: alice.address, reason: 'NO_SESSION', attempts: 1 });
    expect((await bob.relay.fetch()).envelopes).toHaveLength(0);
    expect(await texts(bob, alice.address.account)).toEqual(['hello', 'on the answered session']);

    // Alice gets the decryption-error message, re-establishes from a fresh bundle and resends.
    const resent: ResendReport[] = [];
    alice.on('resent', (r) => resent.push(r));
    const bundleCountBefore = (await alice.keyServer.bundles(bob.address.account))[0]!.preKey?.keyId;
    expect(await alice.poll()).toBe(1);
    // Both messages Alice sent under the ratchet key the request names are resent (our receivers name no original
    // timestamp, see recovery.ts): the one Bob had and the one he lost.
    expect(resent).toEqual([{ requester: bob.address, resent: 2 }]);
    // A fresh bundle was fetched: the one-time prekey handed out before is gone.
    expect((await alice.keyServer.bundles(bob.address.account))[0]!.preKey?.keyId).not.toBe(bundleCountBefore);

    // Bob receives the lost message (PreKey messages on the new session) exactly once; the copy of the one he had is dropped.
    const got: string[] = [];
    bob.on('message', (m) => got.push(m.content.text ?? ''));
    expect(await bob.poll()).toBe(2);
    expect(got).toEqual(['do you read me?']);
    const history = (await bob.history(alice.address.account)).filter((m) => m.direction === 'in');
    expect(history.map((m) => m.decoded.text)).toEqual(['hello', 'on the answered session', 'do you read me?']);
    expect(history[2]!.decoded.timestamp).toBe(sent.ref.timestamp);
    // The original stays quarantined (its chain is gone): retried once after the new session, kept, not lost.
    const after = await bob.quarantined();
    expect(after).toHaveLength(1);
    expect(after[0]!.attempts).toBe(2);
    expect(await bob.deleteQuarantined(after[0]!.envelopeId)).toBe(true);
    expect(await bob.quarantined()).toHaveLength(0);

    // The conversation goes on both ways on the new session.
    await bob.send(alice.address.account, { text: 'loud and clear' });
    expect(await alice.poll()).toBe(1);
    expect((await texts(alice, bob.address.account)).at(-1)).toBe('loud and clear');
    // Bob's automatic retry of the quarantined original asked for nothing more: one resend round in all.
    expect(resent).toHaveLength(1);
  });

  it('a receiver that can never decrypt cannot make the sender loop: each message is resent at most MAX_RESENDS times', async () => {
    // Bob's client is genuine except that every session decrypt fails.
    const broken: SessionOps = {
      ...sessionOps,
      decrypt: () => {
        throw new BadMacError('this receiver is broken');
      },
    };
    const alice = local.client();
    const bob = local.client({ sessions: broken });
    await Promise.all([alice.register(), bob.register()]);
    await alice.addContact(bob.contactCard());
    await bob.addContact(alice.contactCard());
    const resent: ResendReport[] = [];
    alice.on('resent', (r) => resent.push(r));
    await alice.send(bob.address.account, { text: 'never readable' });
    for (let round = 0; round < 6; round++) {
      await bob.poll();
      await alice.poll();
    }
    expect(resent.map((r) => r.resent)).toEqual([1, 1, 0]);
    expect(MAX_RESENDS).toBe(2);
    // Everything settled: nothing left queued either way, and Bob kept every envelope it could not read.
    expect((await bob.relay.fetch()).envelopes).toHaveLength(0);
    expect((await alice.relay.fetch()).envelopes).toHaveLength(0);
    expect((await bob.quarantined()).map((q) => q.reason)).toEqual(['BAD_MAC', 'BAD_MAC', 'BAD_MAC']);
  });

  it('a receiver with a wrong trust root keeps the envelope (no one to tell) and processes it once configured right', async () => {
    const alice = local.client();
    const store = new MemoryStore();
    const wrongRoot = generateCurveKeyPair().publicKey;
    const bob = local.client({ store, trustRoot: wrongRoot });
    await Promise.all([alice.register(), bob.register()]);
    await alice.addContact(bob.contactCard());
    const problems: ClientProblem[] = [];
    bob.on('error', (p) => problems.push(p));
    await alice.send(bob.address.account, { text: 'certified elsewhere' });
    expect(await bob.poll()).toBe(1);
    expect((problems[0]!.error as { code?: string }).code).toBe('INVALID_CERTIFICATE');
    const [entry] = await bob.quarantined();
    expect(entry).toMatchObject({ reason: 'INVALID_CERTIFICATE', sender: undefined });
    // Alice got no decryption-error message: the sender was not proven.
    expect((await alice.relay.fetch()).envelopes).toHaveLength(0);
    // start() refuses the misconfigured client with a typed error.
    await expect(bob.start()).rejects.toMatchObject({ code: 'INVALID_TRUST_ROOT' });
    await bob.close();

    // The same store with the right trust root: start() retries the quarantine and the message arrives.
    const fixed = local.client({ store });
    await fixed.ready();
    const got: string[] = [];
    fixed.on('message', (m) => got.push(m.content.text ?? ''));
    await fixed.start();
    expect(got).toEqual(['certified elsewhere']);
    expect(await fixed.quarantined()).toHaveLength(0);
    expect(await texts(fixed, alice.address.account)).toEqual(['certified elsewhere']);
    await fixed.close();
  });
});

describe('trust root checks', () => {
  it('a 10-byte trust root is refused by the constructor with INVALID_TRUST_ROOT', () => {
    const make = (trustRoot: Uint8Array | Uint8Array[]) => () =>
      new SealpostClient({ store: new MemoryStore(), keyServerUrl: local.services.keyServerUrl, relayUrl: local.services.relayUrl, trustRoot, receive: { mode: 'manual' } });
    for (const bad of [new Uint8Array(10), new Uint8Array(33), [] as Uint8Array[], [local.services.trustRoot, new Uint8Array(31)]]) {
      let error: unknown;
      try {
        make(bad)();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ClientError);
      expect((error as ClientError).code).toBe('INVALID_TRUST_ROOT');
    }
    expect(make(local.services.trustRoot)).not.toThrow();
    expect(make(local.services.trustRoot.subarray(1))).not.toThrow();
  });

  it('a wrong 33-byte trust root makes start() fail with INVALID_TRUST_ROOT; the right one starts', async () => {
    const wrong = local.client({ trustRoot: generateCurveKeyPair().publicKey });
    await wrong.register();
    const error = await wrong.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('INVALID_TRUST_ROOT');
    expect((error as Error).message).toMatch(/trust root/);
    const right = local.client({ trustRoot: [generateCurveKeyPair().publicKey, local.services.trustRoot] });
    await right.register();
    await expect(right.start()).resolves.toBeUndefined();
  });
});
