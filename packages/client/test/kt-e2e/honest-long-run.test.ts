/**
 * Key transparency end to end: an honest long run. With the sequencer's
 * heartbeats on the fake clock (one entry per monitoring window, each
 * witnessed), Bob's owner monitoring and Alice's contact monitoring of Bob
 * pass in each of 5 monitoring windows, with no alarm and no evidence;
 * once Bob's label has been monitored for the contact monitoring window
 * it is done, and Alice no longer searches it (counted on the wire, at a
 * recording front), while her owner monitoring goes on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { accountLabel } from '@sealpost/keytrans';
import { toBase64 } from '@sealpost/protocol/primitives';
import { collectKt, startKtServices, type KtServices } from '@sealpost/devkit/kt-services';
import { startKtReplay, type KtReplayFront } from '@sealpost/devkit/kt-insider';

const WINDOWS = 5;

describe('key transparency e2e: honest long run', () => {
  let kt: KtServices | undefined;
  let front: KtReplayFront | undefined;
  afterEach(async () => {
    await front?.close();
    await kt?.close();
    kt = front = undefined;
  });

  it(`owner and contact monitoring pass across ${WINDOWS} windows of heartbeats; then the contact entry is done and no longer searched`, async () => {
    kt = await startKtServices();
    front = await startKtReplay(kt);
    const interval = kt.monitorIntervalMs;
    // The contact monitoring window: the 5 monitoring windows.
    const alice = kt.client('enforce', { keyServerUrl: front.url, kt: { contactMonitoringWindowMs: WINDOWS * interval } });
    const bob = kt.client('enforce');
    const aliceEvents = collectKt(alice);
    const bobEvents = collectKt(bob);
    await alice.register();
    await bob.register();
    await kt.settle();
    await alice.addContact(bob.contactCard());
    await alice.send(bob.address.account, { text: 'hello' });
    const bobLabel = toBase64(accountLabel(bob.address.account));
    const searchesOfBob = () => front!.recorded.filter((r) => r.label === bobLabel).length;

    for (let window = 1; window <= WINDOWS; window++) {
      const size = kt.log.size;
      const entryAt = kt.clock.now() + interval;
      await kt.advance(interval); // the sequencer's heartbeat: an empty entry at the new time, witnessed
      expect(kt.log.size, `window ${window}: one heartbeat entry`).toBe(size + 1);
      expect(kt.log.index.entries.at(-1)!.timestamp).toBe(entryAt);
      expect(kt.log.witnessed).toBe(size + 1);
      const before = searchesOfBob();
      const a = await alice.keyTransparency.monitorNow();
      expect(a.map((e) => [e.source, e.kind, e.account]), `window ${window}`).toEqual([
        ['owner', 'verified', alice.address.account],
        ['contact', 'verified', bob.address.account],
      ]);
      expect(searchesOfBob()).toBe(before + 1);
      const b = await bob.keyTransparency.monitorNow();
      expect(b.map((e) => [e.source, e.kind, e.account]), `window ${window}`).toEqual([['owner', 'verified', bob.address.account]]);
      expect((await alice.keyTransparency.status()).checkpointSize).toBe(kt.log.witnessed);
      expect((await bob.keyTransparency.status()).checkpointSize).toBe(kt.log.witnessed);
    }
    expect(aliceEvents.filter((e) => e.kind !== 'verified')).toEqual([]);
    expect(bobEvents.filter((e) => e.kind !== 'verified')).toEqual([]);
    expect(await alice.keyTransparency.evidence()).toEqual([]);
    expect(await bob.keyTransparency.evidence()).toEqual([]);

    // The contact entry is done: monitored for the whole window, with no change.
    const entry = (await alice.keyTransparency.state())!.labels.get(bobLabel)!;
    expect(entry).toMatchObject({ version: 0, done: true });
    expect(entry.lastCheckedMs - entry.firstSeenMs).toBeGreaterThanOrEqual(WINDOWS * interval);
    const searched = searchesOfBob();
    for (let window = 1; window <= 2; window++) {
      await kt.advance(interval);
      const a = await alice.keyTransparency.monitorNow();
      expect(a.map((e) => [e.source, e.kind])).toEqual([['owner', 'verified']]);
    }
    expect(searchesOfBob()).toBe(searched);
    expect(front.recorded.filter((r) => r.label === toBase64(accountLabel(alice.address.account))).length).toBeGreaterThanOrEqual(WINDOWS + 2);
  });
});
