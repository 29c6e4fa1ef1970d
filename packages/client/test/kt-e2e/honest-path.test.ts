/**
 * Key transparency end to end, the honest path: the real key server with
 * its log and three real witnesses (2-of-3). Account creation answers only
 * once the label is sequenced (and witnessed); Alice's bundle fetch is
 * checked by a search that comes back `verified` with exactly the bundle's
 * identity key; Bob's owner monitoring passes window after window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { accountLabel, encodeIdentityValue } from '@sealpost/keytrans';
import { collectKt, startKtServices, type KtServices } from '@sealpost/devkit/kt-services';

describe('key transparency e2e: honest path (real key server, three witnesses)', () => {
  let kt: KtServices | undefined;
  afterEach(async () => {
    await kt?.close();
    kt = undefined;
  });

  it('logs each account at registration; a bundle fetch verifies; the owner monitor passes across 5 monitoring windows', async () => {
    kt = await startKtServices();
    const alice = kt.client('enforce');
    const bob = kt.client('enforce');
    const aliceKt = collectKt(alice);
    const bobKt = collectKt(bob);
    await alice.register();
    // Registration answered only after the label was sequenced: the log already holds it, with Alice's key.
    const aliceRow = await kt.log.store.greatestVersion(accountLabel(alice.address.account), Number.MAX_SAFE_INTEGER);
    expect(aliceRow?.version).toBe(0);
    expect(aliceRow?.value).toEqual(encodeIdentityValue((await alice.store.identities.localAccount())!.identityPublicKey));
    expect(aliceRow!.position).toBeLessThan(kt.log.size);
    await bob.register();
    const bobRow = await kt.log.store.greatestVersion(accountLabel(bob.address.account), Number.MAX_SAFE_INTEGER);
    expect(bobRow?.version).toBe(0);
    expect(bobRow!.position).toBeLessThan(kt.log.witnessed);
    await kt.settle();

    // Alice's first send fetches Bob's bundle; the search verifies it before the session is built.
    await alice.addContact(bob.contactCard());
    const bundle = (await alice.keyServer.bundles(bob.address.account))[0]!;
    await alice.send(bob.address.account, { text: 'hello, verified bob' });
    const bundleEvents = aliceKt.filter((e) => e.source === 'bundle');
    expect(bundleEvents).toHaveLength(1);
    expect(bundleEvents[0]).toMatchObject({ kind: 'verified', account: bob.address.account, logged: true });
    const accepted = (await alice.keyTransparency.state())!.labels;
    const bobLabel = [...accepted.values()].find((l) => l.value.length > 0 && Buffer.from(l.value).equals(Buffer.from(encodeIdentityValue(bundle.identityKey))));
    expect(bobLabel).toBeDefined();
    expect(bobLabel!.value).toEqual(encodeIdentityValue(bundle.identityKey));
    const got: string[] = [];
    bob.on('message', (m) => got.push(m.content.text ?? ''));
    expect(await bob.poll()).toBe(1);
    expect(got).toEqual(['hello, verified bob']);

    // Owner monitoring: five windows, each one a heartbeat later, each one verified.
    for (let window = 1; window <= 5; window++) {
      await kt.advance(kt.monitorIntervalMs);
      const events = await bob.keyTransparency.monitorNow();
      const owner = events.filter((e) => e.source === 'owner');
      expect(owner, `window ${window}`).toEqual([expect.objectContaining({ kind: 'verified', account: bob.address.account })]);
    }
    expect(bobKt.filter((e) => e.kind !== 'verified')).toEqual([]);
    expect(aliceKt.filter((e) => e.kind !== 'verified')).toEqual([]);
    expect(await bob.keyTransparency.evidence()).toEqual([]);
    const status = await bob.keyTransparency.status();
    expect(status.checkpointSize).toBe(kt.log.witnessed);
  });
});
