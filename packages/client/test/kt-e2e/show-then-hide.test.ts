/**
 * Key transparency end to end: show, then hide. The insider logs a fake
 * version 1 of Bob's account label through the key server's own log;
 * Alice, who accepted Bob's version 0, looks it up and accepts it
 * (`identityChanged`, logged). Then the insider drops that version from
 * every later prefix tree (`hideVersion`: the row deleted, the sequencer's
 * prefix tree rebuilt without it, the next entries commit to that tree).
 * The log tree only grows, so the honest witnesses cosign the new
 * checkpoints; Bob's owner monitor, run after the hide, sees his own
 * version 0 and passes. Only Alice's contact monitoring catches it:
 * `monitorFailed`, with evidence anyone can check with keytrans alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { accountLabel, checkEvidence, decodeIdentityValue, ktPinned, parseCheckpoint, parseNote, verifyWitnessedCheckpoint, type KtEvidenceJson } from '@sealpost/keytrans';
import { generateIdentityKeyPair } from '@sealpost/protocol';
import { collectKt, startKtServices, type KtServices } from '@sealpost/devkit/kt-services';
import { hideVersion, startKtInsider, type KtInsider } from '@sealpost/devkit/kt-insider';

const sizeOf = (note: string) => parseCheckpoint(parseNote(note).text).size;

describe('key transparency e2e: show-then-hide (a logged version dropped from later prefix trees)', () => {
  let kt: KtServices | undefined;
  let insider: KtInsider | undefined;
  afterEach(async () => {
    await insider?.close();
    await kt?.close();
    kt = insider = undefined;
  });

  it("the witnesses cosign the hiding entries, Bob's owner check passes, Alice's contact monitoring raises monitorFailed with checkable evidence", async () => {
    kt = await startKtServices();
    insider = await startKtInsider(kt);
    const alice = kt.client('enforce');
    const bob = kt.client('enforce');
    await alice.register();
    await bob.register();
    await kt.settle();
    await alice.addContact(bob.contactCard());
    await alice.send(bob.address.account, { text: 'hi' });
    const aliceEvents = collectKt(alice);
    const bobEvents = collectKt(bob);
    const label = accountLabel(bob.address.account);

    // Show: version 1 with an attacker key, logged and witnessed like any update; Alice looks it up and accepts it.
    const attacker = generateIdentityKeyPair();
    expect(await insider.logIdentity(bob.address.account, attacker.publicKey)).toMatchObject({ sequenced: true, witnessed: true });
    const shownAt = kt.log.witnessed;
    await kt.advance(kt.monitorIntervalMs);
    const shown = await alice.keyTransparency.monitorNow();
    expect(shown.filter((e) => e.source === 'contact')).toEqual([expect.objectContaining({ kind: 'identityChanged', account: bob.address.account, logged: true })]);
    const accepted = [...(await alice.keyTransparency.state())!.labels.values()].find((l) => l.version === 1)!;
    expect(decodeIdentityValue(accepted.value)).toEqual(attacker.publicKey);

    // Hide: the next entry commits to a prefix tree without version 1; the log tree is append-only, so the witnesses cosign it.
    const hiddenSize = await hideVersion(kt, label, 1);
    await kt.settle();
    expect(kt.log.witnessed).toBe(hiddenSize);
    expect(hiddenSize).toBeGreaterThan(shownAt);
    const hidingNote = kt.log.checkpointNote(hiddenSize)!;
    expect(() => verifyWitnessedCheckpoint(hidingNote, ktPinned(kt!.pinned).policy, { origin: kt!.settings.origin })).not.toThrow();
    expect(await kt.log.store.greatestVersion(label, Number.MAX_SAFE_INTEGER)).toMatchObject({ version: 0 });
    for (let i = 0; i < 3; i++) expect(await kt.witnesses.evidence(i)).toEqual([]); // nothing a witness can see is wrong
    await kt.advance(kt.monitorIntervalMs); // and the log keeps going from the rebuilt tree (a heartbeat, witnessed)

    // Bob, had he been offline during the show, finds only his own version 0: his owner check passes.
    const bobChecks = await bob.keyTransparency.monitorNow();
    expect(bobChecks.filter((e) => e.source === 'owner')).toEqual([expect.objectContaining({ kind: 'verified', account: bob.address.account })]);
    expect(bobEvents.filter((e) => e.kind !== 'verified')).toEqual([]);

    // Alice's contact monitoring: the log now shows version 0 as the greatest, below the version 1 she accepted.
    const hidden = await alice.keyTransparency.monitorNow();
    const failed = hidden.filter((e) => e.kind === 'monitorFailed');
    expect(failed).toEqual([expect.objectContaining({ source: 'contact', account: bob.address.account })]);
    expect(aliceEvents.filter((e) => e.kind !== 'verified' && e.kind !== 'identityChanged' && e.kind !== 'monitorFailed')).toEqual([]);
    const evidence = failed[0]!.evidence!.data as KtEvidenceJson;
    expect(evidence.kind).toBe('monitorFailed');
    expect(evidence.checkpoints).toHaveLength(2);
    expect(sizeOf(evidence.checkpoints[0]!)).toBeLessThan(hiddenSize);
    expect(sizeOf(evidence.checkpoints[1]!)).toBe(kt.log.witnessed);
    // A third party with keytrans and the pinned configuration only: both searches verify, the version went back.
    expect(() => checkEvidence(JSON.parse(JSON.stringify(evidence)) as KtEvidenceJson, ktPinned(kt!.pinned))).not.toThrow();
    // Tampered evidence does not hold: the two searches swapped show the version going up, not back.
    const swapped: KtEvidenceJson = {
      ...evidence,
      checkpoints: [evidence.checkpoints[1]!, evidence.checkpoints[0]!],
      searches: [
        { checkpoint: 0, proof: evidence.searches[1]!.proof },
        { checkpoint: 1, proof: evidence.searches[0]!.proof },
      ],
    };
    expect(() => checkEvidence(swapped, ktPinned(kt!.pinned))).toThrow(/evidence does not hold/);
    expect((await alice.keyTransparency.evidence()).map((r) => r.kind)).toContain('monitorFailed');
  });
});
