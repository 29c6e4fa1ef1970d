/**
 * Key transparency end to end: a logged key swap. The insider appends
 * version 1 of Bob's account label (an attacker key) through the key
 * server's own log, so it is witnessed like any honest update. Alice, who
 * accepted Bob's version 0, sees `identityChanged` with `logged: true` on
 * her next contact check; Bob's next owner monitor (his scheduled one, on a
 * short interval) raises `ownerAlarm` with evidence a third party can check.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkEvidence, decodeIdentityValue, ktPinned, type KtEvidenceJson } from '@sealpost/keytrans';
import { generateIdentityKeyPair } from '@sealpost/protocol';
import { collectKt, startKtServices, waitFor, type KtServices } from '@sealpost/devkit/kt-services';
import { startKtInsider, type KtInsider } from '@sealpost/devkit/kt-insider';

describe('key transparency e2e: logged key swap', () => {
  let kt: KtServices | undefined;
  let insider: KtInsider | undefined;
  afterEach(async () => {
    await insider?.close();
    await kt?.close();
    kt = insider = undefined;
  });

  it("Alice sees identityChanged (logged); Bob's next owner monitor raises ownerAlarm within one monitoring interval", async () => {
    kt = await startKtServices();
    insider = await startKtInsider(kt);
    const monitorMs = 400; // Bob's real monitoring timer (the clock itself stands still)
    const alice = kt.client('enforce');
    const bob = kt.client('enforce', { kt: { monitorIntervalMs: monitorMs } });
    await alice.register();
    await bob.register();
    await kt.settle();
    await alice.addContact(bob.contactCard());
    await alice.send(bob.address.account, { text: 'hi' });
    const aliceEvents = collectKt(alice);
    const bobEvents = collectKt(bob);
    await bob.start();
    // Bob's monitor runs and passes before the swap.
    await waitFor(() => bobEvents.some((e) => e.source === 'owner' && e.kind === 'verified'), 5000, "Bob's first owner check");
    expect(bobEvents.filter((e) => e.kind !== 'verified')).toEqual([]);

    const attacker = generateIdentityKeyPair();
    const settled = await insider.logIdentity(bob.address.account, attacker.publicKey);
    expect(settled).toMatchObject({ sequenced: true, witnessed: true });
    const swappedAt = Date.now();
    const before = bobEvents.length;
    await waitFor(() => bobEvents.slice(before).some((e) => e.kind === 'ownerAlarm'), monitorMs * 2 + 3000, "Bob's owner alarm");
    const elapsed = Date.now() - swappedAt;
    const after = bobEvents.slice(before).filter((e) => e.source === 'owner');
    const alarmAt = after.findIndex((e) => e.kind === 'ownerAlarm');
    const next = after[alarmAt]!;
    // The alarm is the next owner check after the swap (at most one check already in flight may still pass).
    expect(alarmAt).toBeLessThanOrEqual(1);
    expect(next).toMatchObject({ kind: 'ownerAlarm', account: bob.address.account, logged: true });
    // Within one monitoring interval (plus its jitter, a tenth) and the check's own time; generous slack, as
    // this shared machine's timers run late under load (the ordering above is the exact part).
    expect(elapsed).toBeLessThan(monitorMs * 1.1 + 5000);
    bob.keyTransparency.stop();
    const evidence = next.evidence!.data as KtEvidenceJson;
    expect(evidence.kind).toBe('ownerAlarm');
    expect(evidence.expected?.version).toBe(0);
    // Anyone holding the pinned configuration can check Bob's evidence (it is signed by the log).
    const pinned = ktPinned({ ...kt.pinned, witnessPolicy: kt.pinned.witnessPolicy });
    expect(() => checkEvidence(evidence, pinned)).not.toThrow();
    expect((await bob.keyTransparency.evidence()).map((r) => r.kind)).toContain('ownerAlarm');

    // Alice's contact monitoring, one interval later: the log shows a new version with the attacker's key.
    await kt.advance(kt.monitorIntervalMs);
    const events = await alice.keyTransparency.monitorNow();
    const changed = events.filter((e) => e.kind === 'identityChanged');
    expect(changed).toEqual([expect.objectContaining({ source: 'contact', account: bob.address.account, logged: true })]);
    expect(aliceEvents.filter((e) => e.kind !== 'verified' && e.kind !== 'identityChanged')).toEqual([]);
    const accepted = [...(await alice.keyTransparency.state())!.labels.values()].find((l) => l.version === 1);
    expect(decodeIdentityValue(accepted!.value)).toEqual(attacker.publicKey);
  });
});
