/**
 * Key transparency end to end: an unlogged key swap. The insider's front
 * answers Alice's fetch of Bob's bundle with an attacker identity key (a
 * complete, correctly signed bundle) while the real log still holds Bob's
 * key. Alice's search is a `mismatch` (the label is logged, with another
 * value). Under `enforce` the send fails with KtError KT_MISMATCH and
 * nothing is encrypted to the fake key: no session, nothing trusted, no
 * outbox row, nothing at the relay for Bob. Under `warn` the event fires
 * and the send proceeds (to the fake key: that is what warn means).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KtError, type SealpostClient } from '@sealpost/client';
import { decodeIdentityValue } from '@sealpost/keytrans';
import { fromBase64 } from '@sealpost/protocol/primitives';
import { collectKt, startKtServices, type KtServices } from '@sealpost/devkit/kt-services';
import { startKtInsider, type KtInsider } from '@sealpost/devkit/kt-insider';

describe('key transparency e2e: unlogged key swap', () => {
  let kt: KtServices | undefined;
  let insider: KtInsider | undefined;
  afterEach(async () => {
    await insider?.close();
    await kt?.close();
    kt = insider = undefined;
  });

  async function scene(mode: 'enforce' | 'warn') {
    kt = await startKtServices();
    insider = await startKtInsider(kt);
    // Alice reaches the key server through the insider's front; Bob talks to it directly.
    const alice = kt.client(mode, { keyServerUrl: insider.url });
    const bob = kt.client('enforce');
    await alice.register();
    await bob.register();
    await kt.settle();
    await alice.addContact(bob.contactCard());
    const fake = insider.swapBundle(bob.address.account);
    return { alice, bob, fake };
  }

  async function relayQueueOf(client: SealpostClient): Promise<number> {
    return (await client.relay.fetch()).envelopes.length;
  }

  it('enforce: the search is a mismatch, the send fails with KT_MISMATCH and nothing is encrypted to the fake key', async () => {
    const { alice, bob, fake } = await scene('enforce');
    const events = collectKt(alice);
    // The bundle Alice is shown really carries the fake key.
    expect((await alice.keyServer.bundles(bob.address.account))[0]!.identityKey).toEqual(fake.publicKey);
    const error = await alice.send(bob.address.account, { text: 'for bob only' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KtError);
    expect((error as KtError).code).toBe('KT_MISMATCH');
    expect((error as KtError).account).toBe(bob.address.account);
    const mismatch = events.filter((e) => e.kind === 'mismatch');
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]).toMatchObject({ source: 'bundle', account: bob.address.account, logged: true, refused: true });
    // The evidence names both keys and carries the witnessed checkpoint and proof the real key was shown with.
    const data = mismatch[0]!.evidence!.data as { shown: string; logged: string; checkpoint: string; proof: string; version: number };
    expect(decodeIdentityValue(fromBase64(data.shown))).toEqual(fake.publicKey);
    expect(decodeIdentityValue(fromBase64(data.logged))).toEqual((await bob.store.identities.localAccount())!.identityPublicKey);
    expect(data.version).toBe(0);
    expect(data.checkpoint).toContain(kt!.settings.origin);
    expect(await alice.keyTransparency.evidence()).toEqual([expect.objectContaining({ kind: 'mismatch', account: bob.address.account })]);
    // Nothing encrypted to the fake key: no session, the fake key not trusted, no sealed envelope waiting, nothing at the relay.
    expect(await alice.store.sessions.devices(bob.address.account)).toEqual([]);
    expect(await alice.trustedIdentity(bob.address.account)).toBeUndefined();
    expect(await alice.store.outbox.batches()).toEqual([]);
    expect(await relayQueueOf(bob)).toBe(0);
    expect(await bob.poll()).toBe(0);
    // Honest again: the same send goes through to the real key.
    insider!.restoreBundle(bob.address.account);
    await alice.send(bob.address.account, { text: 'now for real' });
    const got: string[] = [];
    bob.on('message', (m) => got.push(m.content.text ?? ''));
    expect(await bob.poll()).toBe(1);
    expect(got).toEqual(['now for real']);
  });

  it('warn: the mismatch event fires (not refused) and the send proceeds', async () => {
    const { alice, bob, fake } = await scene('warn');
    const events = collectKt(alice);
    const sent = await alice.send(bob.address.account, { text: 'sent anyway' });
    expect(sent.devices).toEqual([1]);
    const mismatch = events.filter((e) => e.kind === 'mismatch');
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]).toMatchObject({ source: 'bundle', account: bob.address.account, logged: true });
    expect(mismatch[0]!.refused).toBeUndefined();
    expect(mismatch[0]!.evidence).toBeDefined();
    // The session was built with the key the server showed, and the envelope reached the relay for Bob.
    expect(await alice.trustedIdentity(bob.address.account)).toEqual(fake.publicKey);
    expect(await relayQueueOf(bob)).toBe(1);
  });
});
