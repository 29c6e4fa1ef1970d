/**
 * Key transparency end to end: frozen and rolled-back views. A front
 * (`startKtReplay`) records the real key server's search answers and serves
 * old ones again: frozen on one head, Alice keeps accepting it while its
 * entry is within max_behind and then answers `stale` (the log's newest
 * entry too far behind); rolled back to a smaller size than the one she
 * retained ⇒ `stale` (rollback) with evidence; the same size with another
 * root (a split-view fork of the same size) ⇒ `fork` with evidence. Nothing
 * is accepted: the retained head stays the one she verified.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SealpostClient } from '@sealpost/client';
import { accountLabel, checkEvidence, ktPinned, parseCheckpoint, parseNote, type KtEvidenceJson } from '@sealpost/keytrans';
import { toBase64 } from '@sealpost/protocol/primitives';
import { collectKt, startKtServices, type KtServices } from '@sealpost/devkit/kt-services';
import { startKtInsider, startKtReplay, type KtInsider, type KtReplayFront } from '@sealpost/devkit/kt-insider';

const MAX_BEHIND_MS = 60 * 60_000; // the pinned default
const sizeOf = (note: string) => parseCheckpoint(parseNote(note).text).size;

describe('key transparency e2e: frozen and rolled-back views', () => {
  let kt: KtServices | undefined;
  let front: KtReplayFront | undefined;
  let insider: KtInsider | undefined;
  afterEach(async () => {
    await front?.close();
    await insider?.close();
    await kt?.close();
    kt = front = insider = undefined;
  });

  /** Alice (through `url`) and Bob registered, Bob a contact of Alice whose bundle she verified. */
  async function pair(url: (k: KtServices) => string): Promise<{ alice: SealpostClient; bob: SealpostClient }> {
    const alice = kt!.client('enforce', { keyServerUrl: url(kt!) });
    const bob = kt!.client('enforce');
    await alice.register();
    await bob.register();
    await kt!.settle();
    await alice.addContact(bob.contactCard());
    await alice.send(bob.address.account, { text: 'hi' });
    return { alice, bob };
  }

  it('a frozen head is accepted within max_behind, then every search answers stale; nothing moves', async () => {
    kt = await startKtServices();
    front = await startKtReplay(kt);
    const f = front;
    const { alice, bob } = await pair(() => f.url);
    await kt.advance(kt.monitorIntervalMs);
    const first = await alice.keyTransparency.monitorNow();
    expect(first.map((e) => [e.source, e.kind])).toEqual([
      ['owner', 'verified'],
      ['contact', 'verified'],
    ]);
    const frozenAt = (await alice.keyTransparency.status()).checkpointSize;
    expect(frozenAt).toBe(kt.log.witnessed);
    const events = collectKt(alice);
    front.freeze();

    // Half of max_behind later the real log has moved on, but the frozen head is still fresh enough: accepted.
    await kt.advance(MAX_BEHIND_MS / 2);
    expect(kt.log.witnessed).toBeGreaterThan(frozenAt!);
    expect((await alice.keyTransparency.monitorNow()).map((e) => e.kind)).toEqual(['verified', 'verified']);
    // Past max_behind: the frozen entry is too old.
    await kt.advance(MAX_BEHIND_MS / 2 + 60_000);
    const stale = await alice.keyTransparency.monitorNow();
    expect(stale).toEqual([
      expect.objectContaining({ source: 'owner', kind: 'stale', account: alice.address.account }),
      expect.objectContaining({ source: 'contact', kind: 'stale', account: bob.address.account }),
    ]);
    expect(stale.every((e) => e.evidence === undefined && /behind this clock/.test(e.detail ?? ""))).toBe(true);
    expect((await alice.keyTransparency.status()).checkpointSize).toBe(frozenAt);
    expect(await alice.keyTransparency.evidence()).toEqual([]);

    // The front stops lying: the next check verifies against the newest head.
    front.thaw();
    expect((await alice.keyTransparency.monitorNow()).map((e) => e.kind)).toEqual(['verified', 'verified']);
    expect((await alice.keyTransparency.status()).checkpointSize).toBe(kt.log.witnessed);
    expect(events.filter((e) => e.kind !== 'verified' && e.kind !== 'stale')).toEqual([]);
  });

  it('a smaller tree size than the retained one is a rollback: stale with evidence anyone can check; nothing of it is accepted', async () => {
    kt = await startKtServices();
    front = await startKtReplay(kt);
    const f = front;
    const { alice, bob } = await pair(() => f.url);
    const bobLabel = toBase64(accountLabel(bob.address.account));
    const old = front.recorded.filter((r) => r.label === bobLabel).at(-1)!;
    // Two more windows: Alice retains a larger witnessed head.
    for (let i = 0; i < 2; i++) {
      await kt.advance(kt.monitorIntervalMs);
      await alice.keyTransparency.monitorNow();
    }
    const retained = (await alice.keyTransparency.status()).checkpointSize;
    expect(retained).toBeGreaterThan(old.size);
    const before = await alice.keyTransparency.state();

    front.replay(bobLabel, old);
    await kt.advance(kt.monitorIntervalMs);
    const events = await alice.keyTransparency.monitorNow();
    const contact = events.filter((e) => e.source === 'contact');
    expect(contact).toEqual([expect.objectContaining({ kind: 'stale', account: bob.address.account })]);
    const evidence = contact[0]!.evidence!.data as KtEvidenceJson;
    expect(evidence.kind).toBe('rollback');
    // Against the head retained when Bob's label was checked: Alice's own (honest) search that round had moved it on.
    expect(evidence.checkpoints.map(sizeOf)).toEqual([kt.log.witnessed, old.size]);
    expect(() => checkEvidence(JSON.parse(JSON.stringify(evidence)) as KtEvidenceJson, ktPinned(kt!.pinned))).not.toThrow();
    // Swapped around it claims nothing (the second is larger): a third party sees through it.
    expect(() => checkEvidence({ ...evidence, checkpoints: [evidence.checkpoints[1]!, evidence.checkpoints[0]!] }, ktPinned(kt!.pinned))).toThrow(/does not hold/);
    expect((await alice.keyTransparency.evidence()).map((r) => r.kind)).toEqual(['stale']);
    // Alice's own label was answered honestly in the same round, so her head moved on; Bob's accepted version did not change.
    const after = await alice.keyTransparency.state();
    const bobKey = bobLabel;
    expect(after!.labels.get(bobKey)?.version).toBe(before!.labels.get(bobKey)?.version);
    expect((await alice.keyTransparency.status()).checkpointSize).toBeGreaterThanOrEqual(retained!);
  });

  it('the same size with another root (a fork of the retained size) ⇒ fork with evidence; nothing accepted', async () => {
    kt = await startKtServices();
    insider = await startKtInsider(kt);
    const ins = insider;
    const { alice, bob } = await pair(() => ins.url);
    const view = await insider.splitView();
    const S = view.forkedAt;
    await view.logIdentity(bob.address.account, insider.swapBundle(bob.address.account).publicKey);
    await kt.advance(kt.monitorIntervalMs); // the real log: S + 1, a heartbeat, witnessed
    insider.restoreBundle(bob.address.account);
    await alice.keyTransparency.monitorNow();
    expect((await alice.keyTransparency.status()).checkpointSize).toBe(S + 1);
    const honest = kt.log.checkpointNote(S + 1)!;
    const before = await alice.keyTransparency.state();

    view.collude(0);
    view.collude(1); // even "witnessed" by a colluding quorum, the same size with another root is a fork
    insider.show(view);
    await kt.advance(kt.monitorIntervalMs);
    const events = await alice.keyTransparency.monitorNow();
    const forks = events.filter((e) => e.kind === 'fork');
    expect(forks.length).toBeGreaterThanOrEqual(1);
    const evidence = forks[0]!.evidence!.data as KtEvidenceJson;
    expect(evidence.kind).toBe('fork');
    expect(evidence.checkpoints[0]).toBe(honest);
    expect(sizeOf(evidence.checkpoints[1]!)).toBe(S + 1);
    expect(parseNote(evidence.checkpoints[1]!).text).not.toBe(parseNote(honest).text);
    expect(() => checkEvidence(evidence, ktPinned(kt!.pinned))).not.toThrow();
    expect(events.every((e) => e.kind === 'fork')).toBe(true);
    const after = await alice.keyTransparency.state();
    expect(after!.retained!.note).toBe(before!.retained!.note);
    expect(after!.labels.get(toBase64(accountLabel(bob.address.account)))!.version).toBe(0);
  });
});
