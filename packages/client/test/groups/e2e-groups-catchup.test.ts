/**
 * Groups end to end when the relay loses something: a dropped group change
 * is caught up from the next message's epoch (state request, reply), and a
 * lost sender-key distribution message is recovered (decryption-error
 * message, resend 1:1 with a fresh distribution message).
 */
import { describe, expect, it } from 'vitest';
import type { ResendReport } from '../../src/recovery.ts';
import { useLocalServices } from '../support/local-services.ts';
import { GROUP_TEST_CLIENT, collect, collectChanges, dropQueued, pollAll, registerAll, texts } from '../support/groups.ts';

const local = useLocalServices({ clientDefaults: GROUP_TEST_CLIENT });

describe('groups when the relay loses something', () => {
  it('a dropped group change is caught up from the next message: it waits, the sender answers the state request, then it is delivered', async () => {
    const [alice, bob, carol, dave] = [local.client(), local.client(), local.client(), local.client()];
    await registerAll([alice, bob, carol, dave]);
    const group = await alice.groups.create({ title: 'before', members: [bob.address.account, carol.address.account] });
    await pollAll([alice, bob, carol]);
    await alice.groups.send(group.id, { text: 'first' });
    await pollAll([alice, bob, carol]);

    await alice.groups.addMembers(group.id, [dave.address.account]);
    await alice.groups.rename(group.id, 'after');
    expect(await dropQueued(carol)).toBe(2);
    const carolIn = collect(carol);
    const carolChanges = collectChanges(carol);
    await alice.groups.send(group.id, { text: 'with dave' });
    await carol.poll();
    // Carol is at epoch 0 and the message names epoch 2: it waits in the quarantine while she asks alice.
    expect(texts(carolIn, group.id)).toEqual([]);
    expect((await carol.quarantined()).map((q) => q.reason)).toEqual(['GROUP_EPOCH_AHEAD']);
    await pollAll([alice, bob, carol, dave]);
    expect(carolChanges.map((c) => [c.epoch, c.added, c.renamed])).toEqual([
      [1, [dave.address.account], false],
      [2, [], true],
    ]);
    expect(texts(carolIn, group.id)).toEqual(['with dave']);
    expect(await carol.quarantined()).toEqual([]);
    expect(await carol.groups.get(group.id)).toMatchObject({ epoch: 2, title: 'after', stateHash: (await alice.groups.get(group.id))!.stateHash });
    // Carol now reaches dave (whose profile key came with the state).
    const daveIn = collect(dave);
    await carol.groups.send(group.id, { text: 'hi dave' });
    await pollAll([alice, bob, carol, dave]);
    expect(texts(daveIn, group.id)).toEqual(['hi dave']);
  });

  it('a lost distribution message: decryption-error message, the message resent 1:1 with a fresh distribution message, later messages decrypt', async () => {
    const [alice, bob, carol] = [local.client(), local.client(), local.client()];
    await registerAll([alice, bob, carol]);
    const group = await alice.groups.create({ members: [bob.address.account, carol.address.account] });
    await pollAll([alice, bob, carol]);
    const resent: ResendReport[] = [];
    alice.on('resent', (r) => resent.push(r));
    const bobIn = collect(bob);
    await alice.groups.send(group.id, { text: 'first' });
    // The relay loses bob's distribution message (1:1, sealed sender v1) but delivers the group message (v2).
    const { envelopes } = await bob.relay.fetch();
    expect(envelopes.map((e) => e.content[0])).toEqual([0x11, 0x22]);
    await bob.relay.acknowledge([envelopes[0]!.id]);
    await bob.poll();
    expect((await bob.quarantined()).map((q) => q.reason)).toEqual(['NO_SENDER_KEY_STATE']);
    await pollAll([alice, bob, carol]);
    expect(resent).toEqual([{ requester: bob.address, resent: 1 }]);
    expect(texts(bobIn, group.id)).toEqual(['first']);
    expect(await bob.quarantined()).toEqual([]);
    await alice.groups.send(group.id, { text: 'second' });
    await pollAll([alice, bob, carol]);
    expect(texts(bobIn, group.id)).toEqual(['first', 'second']);
    expect((await bob.groups.history(group.id)).map((m) => m.decoded.text)).toEqual(['first', 'second']);
  });
});
