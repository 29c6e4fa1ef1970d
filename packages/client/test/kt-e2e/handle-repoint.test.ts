/**
 * Key transparency end to end: handles. Bob claims `@bob` (logged as
 * handleLabel → his account). A directory that answers Mallory's account
 * for `@bob` (the insider's front re-points `GET /v1/handles/bob`) is caught
 * by `lookupHandle`: `enforce` refuses with KT_MISMATCH, `warn` returns the
 * answer unverified with the event. A logged re-point (a new version of the
 * handle label through the server's log) raises Bob's owner alarm.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KtError } from '@sealpost/client';
import { checkEvidence, ktPinned, type KtEvidenceJson } from '@sealpost/keytrans';
import { collectKt, startKtServices, type KtServices } from '@sealpost/devkit/kt-services';
import { startKtInsider, type KtInsider } from '@sealpost/devkit/kt-insider';

describe('key transparency e2e: a handle re-pointed to another account', () => {
  let kt: KtServices | undefined;
  let insider: KtInsider | undefined;
  afterEach(async () => {
    await insider?.close();
    await kt?.close();
    kt = insider = undefined;
  });

  async function scene() {
    kt = await startKtServices();
    insider = await startKtInsider(kt);
    const alice = kt.client('enforce', { keyServerUrl: insider.url });
    const carol = kt.client('warn', { keyServerUrl: insider.url });
    const bob = kt.client('enforce');
    const mallory = kt.client('enforce');
    for (const c of [alice, carol, bob, mallory]) await c.register();
    expect(await bob.claimHandle('@Bob')).toBe('bob');
    await kt.settle();
    return { alice, carol, bob, mallory };
  }

  it("the directory's re-point is caught by lookupHandle: enforce refuses (KT_MISMATCH), warn reports it unverified", async () => {
    const { alice, carol, bob, mallory } = await scene();
    // Honest directory: verified.
    expect(await alice.lookupHandle('bob')).toEqual({ handle: 'bob', account: bob.address.account, verified: true });
    const aliceEvents = collectKt(alice);
    const carolEvents = collectKt(carol);
    insider!.repointHandle('bob', mallory.address.account);
    // Carol has not looked @bob up before; Alice has (and re-checks after recheckAfterMs: one interval).
    await kt!.advance(kt!.monitorIntervalMs);
    const refused = await alice.lookupHandle('bob').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(KtError);
    expect((refused as KtError).code).toBe('KT_MISMATCH');
    expect(aliceEvents.filter((e) => e.kind === 'mismatch')).toEqual([
      expect.objectContaining({ source: 'handle', handle: 'bob', account: mallory.address.account, logged: true, refused: true }),
    ]);
    const warned = await carol.lookupHandle('bob');
    expect(warned).toEqual({ handle: 'bob', account: mallory.address.account, verified: false });
    const mismatch = carolEvents.filter((e) => e.kind === 'mismatch');
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]).toMatchObject({ source: 'handle', handle: 'bob', account: mallory.address.account, logged: true });
    expect(mismatch[0]!.refused).toBeUndefined();
    expect((await carol.keyTransparency.evidence()).map((r) => r.kind)).toEqual(['mismatch']);
    // Bob's own monitoring sees nothing wrong: the log was never changed.
    const bobEvents = await bob.keyTransparency.monitorNow();
    expect(bobEvents.map((e) => e.kind)).toEqual(['verified', 'verified']);
  });

  it("a logged re-point raises the handle owner's alarm", async () => {
    const { bob, mallory } = await scene();
    const before = await bob.keyTransparency.monitorNow();
    expect(before.map((e) => `${e.kind}:${e.handle ?? 'account'}`).sort()).toEqual(['verified:account', 'verified:bob']);
    expect(await insider!.logHandle('bob', mallory.address.account)).toMatchObject({ sequenced: true, witnessed: true });
    await kt!.advance(kt!.monitorIntervalMs);
    const after = await bob.keyTransparency.monitorNow();
    const alarm = after.filter((e) => e.kind === 'ownerAlarm');
    expect(alarm).toEqual([expect.objectContaining({ source: 'owner', handle: 'bob', logged: true })]);
    expect(after.filter((e) => e.handle === undefined).map((e) => e.kind)).toEqual(['verified']); // his account label is untouched
    const evidence = alarm[0]!.evidence!.data as KtEvidenceJson;
    expect(evidence.expected?.version).toBe(0);
    expect(() => checkEvidence(evidence, ktPinned(kt!.pinned))).not.toThrow();
  });
});
