/**
 * Groups end to end (real key server and relay): create, send, add, remove
 * (the removed member cannot decrypt what follows), a member's new device.
 */
import { describe, expect, it } from 'vitest';
import { useLocalServices } from '../support/local-services.ts';
import { NoSenderKeyStateError } from '@sealpost/protocol/groups';
import { senderKeyOps } from '../../src/groups/sender-key-ops.ts';
import { GROUP_TEST_CLIENT, captureSentMessages, collect, collectChanges, pollAll, registerAll, senderKeyMessageFor, texts } from '../support/groups.ts';
import { linkDevice } from '../support/link.ts';

// Small prekey batches: registration is most of a test's time otherwise.
const local = useLocalServices({ clientDefaults: GROUP_TEST_CLIENT });

describe('groups end to end', () => {
  it('create, send both ways, add a member, remove one: the removed member reads nothing that follows', async () => {
    const [alice, bob, carol, dave] = [local.client(), local.client(), local.client(), local.client()];
    const all = [alice, bob, carol, dave];
    await registerAll(all);
    const [bobIn, carolIn, daveIn, aliceIn] = [collect(bob), collect(carol), collect(dave), collect(alice)];
    const bobChanges = collectChanges(bob);

    const group = await alice.groups.create({ title: 'Lunch', members: [bob.address.account, carol.address.account] });
    expect(group).toMatchObject({ epoch: 0, title: 'Lunch', isMember: true });
    await pollAll(all);
    expect(bobChanges).toMatchObject([{ groupId: group.id, epoch: 0, self: 'created' }]);
    expect((await carol.groups.get(group.id))?.stateHash).toBe(group.stateHash);

    const sent = await alice.groups.send(group.id, { text: 'noodles?' });
    expect(sent.devices.sort()).toEqual([`${bob.address.account}.1`, `${carol.address.account}.1`].sort());
    await pollAll(all);
    expect(texts(bobIn, group.id)).toEqual(['noodles?']);
    expect(texts(carolIn, group.id)).toEqual(['noodles?']);
    expect(bobIn[0]).toMatchObject({ conversation: `group:${group.id}`, sender: alice.address });

    await bob.groups.send(group.id, { text: 'yes' });
    await pollAll(all);
    expect(texts(aliceIn, group.id)).toEqual(['yes']);
    expect(texts(carolIn, group.id)).toEqual(['noodles?', 'yes']);

    // Dave joins at epoch 1: he gets the next messages, not the earlier ones.
    await alice.groups.addMembers(group.id, [dave.address.account]);
    await pollAll(all);
    expect((await dave.groups.get(group.id))?.epoch).toBe(1);
    await alice.groups.send(group.id, { text: 'welcome dave' });
    await carol.groups.send(group.id, { text: 'hi dave' });
    await pollAll(all);
    expect(texts(daveIn, group.id)).toEqual(['welcome dave', 'hi dave']);

    // Carol is removed: every sender's next message is under a new distribution she never gets.
    const before = (await alice.store.groups.get(group.id))?.distributionId;
    await alice.groups.removeMembers(group.id, [carol.address.account]);
    await pollAll(all);
    expect((await carol.groups.get(group.id))?.isMember).toBe(false);
    const carolBefore = texts(carolIn, group.id);
    const captured = captureSentMessages(alice);
    await alice.groups.send(group.id, { text: 'without carol (alice)' });
    await bob.groups.send(group.id, { text: 'without carol (bob)' });
    await pollAll(all);
    expect((await alice.store.groups.get(group.id))?.distributionId).not.toBe(before);
    // Alice's own chain of the old distribution is deleted with it.
    expect(await alice.store.senderKeys.load(alice.address, before!)).toBeUndefined();
    expect(texts(carolIn, group.id)).toEqual(carolBefore);
    expect(texts(daveIn, group.id)).toEqual(['welcome dave', 'hi dave', 'without carol (alice)', 'without carol (bob)']);
    expect(texts(bobIn, group.id).slice(-1)).toEqual(['without carol (alice)']);
    // Even given the ciphertext (say, by the relay or a member), Carol holds no key for it: her old chain does not open it.
    const skm = await senderKeyMessageFor(bob, captured[0]!);
    const distributionId = senderKeyOps.messageDistributionId(skm);
    expect(distributionId).not.toBe(before);
    expect(await bob.store.senderKeys.load(alice.address, distributionId)).toBeDefined();
    expect(await carol.store.senderKeys.load(alice.address, distributionId)).toBeUndefined();
    const carolsOld = await carol.store.senderKeys.load(alice.address, before!);
    expect(carolsOld).toBeDefined();
    expect(() => senderKeyOps.decrypt(carolsOld, skm)).toThrow(NoSenderKeyStateError);
  });

  it("a member's new device gets the sender key before the next message and reads it", async () => {
    const [alice, bob1, carol] = [local.client(), local.client(), local.client()];
    await registerAll([alice, bob1, carol]);
    const group = await alice.groups.create({ title: 'devices', members: [bob1.address.account, carol.address.account] });
    await pollAll([alice, bob1, carol]);
    await alice.groups.send(group.id, { text: 'one' });
    await pollAll([alice, bob1, carol]);

    const bob2 = local.client();
    await linkDevice(bob1, bob2);
    const bob2In = collect(bob2);
    const sent = await alice.groups.send(group.id, { text: 'two' });
    expect(sent.devices).toContain(`${bob1.address.account}.2`);
    await pollAll([alice, bob1, bob2, carol]);
    expect(texts(bob2In, group.id)).toEqual(['two']);
    expect((await bob2.groups.get(group.id))?.stateHash).toBe(group.stateHash);
    // Bob's new device sends too; everyone (and bob's first device, as a sync copy) reads it.
    const bob1In = collect(bob1);
    const aliceIn = collect(alice);
    await bob2.groups.send(group.id, { text: 'from the laptop' });
    await pollAll([alice, bob1, bob2, carol]);
    expect(texts(aliceIn, group.id)).toEqual(['from the laptop']);
    expect(bob1In.filter((m) => m.group === group.id).map((m) => [m.fromSelf, m.content.text])).toEqual([[true, 'from the laptop']]);
  });

  it('only an admin changes the group (GROUP_NOT_MEMBER for a member); any member may leave and then sends nothing', async () => {
    const [alice, bob, carol] = [local.client(), local.client(), local.client()];
    await registerAll([alice, bob, carol]);
    const group = await alice.groups.create({ title: 'admins', members: [bob.address.account, carol.address.account] });
    await pollAll([alice, bob, carol]);
    await expect(bob.groups.rename(group.id, 'mine')).rejects.toMatchObject({ code: 'GROUP_NOT_MEMBER' });
    await expect(bob.groups.removeMembers(group.id, [carol.address.account])).rejects.toMatchObject({ code: 'GROUP_NOT_MEMBER' });
    expect((await bob.groups.get(group.id))?.epoch).toBe(0);
    const aliceChanges = collectChanges(alice);
    await bob.groups.leave(group.id);
    await pollAll([alice, bob, carol]);
    expect(aliceChanges).toMatchObject([{ epoch: 1, author: bob.address, removed: [bob.address.account], self: 'member' }]);
    expect((await carol.groups.get(group.id))?.members.map((m) => m.account)).not.toContain(bob.address.account);
    expect((await bob.groups.get(group.id))?.isMember).toBe(false);
    await expect(bob.groups.send(group.id, { text: 'still here' })).rejects.toMatchObject({ code: 'GROUP_NOT_MEMBER' });
  });

  it("a member's removed device: the relay's 409 drops it, the sender rotates before sending, the device holds no key for what follows", async () => {
    const [alice, bob1, carol] = [local.client(), local.client(), local.client()];
    await registerAll([alice, bob1, carol]);
    const bob2 = local.client();
    await linkDevice(bob1, bob2);
    const group = await alice.groups.create({ members: [bob1.address.account, carol.address.account] });
    await pollAll([alice, bob1, bob2, carol]);
    const bob2In = collect(bob2);
    await alice.groups.send(group.id, { text: 'to all three devices' });
    await pollAll([alice, bob1, bob2, carol]);
    expect(texts(bob2In, group.id)).toEqual(['to all three devices']);
    const before = (await alice.store.groups.get(group.id))!.distributionId!;

    await bob1.removeDevice(bob2.address.device);
    const captured = captureSentMessages(alice);
    const sent = await alice.groups.send(group.id, { text: 'after the laptop was removed' });
    expect(sent.devices.sort()).toEqual([`${bob1.address.account}.1`, `${carol.address.account}.1`].sort());
    const after = (await alice.store.groups.get(group.id))!;
    expect(after.distributionId).not.toBe(before);
    expect(after.sharedWith.map((d) => `${d.account}.${d.device}`).sort()).toEqual(sent.devices.sort());
    // The first upload still named the removed device (409); the one the relay took did not, under the new distribution.
    expect(captured.length).toBe(2);
    const skm = await senderKeyMessageFor(bob1, captured[1]!);
    expect(senderKeyOps.messageDistributionId(skm)).toBe(after.distributionId);
    expect(await bob2.store.senderKeys.load(alice.address, after.distributionId!)).toBeUndefined();
    await pollAll([alice, bob1, carol]);
    expect((await bob1.groups.history(group.id)).map((m) => m.decoded.text)).toEqual(['to all three devices', 'after the laptop was removed']);
  });

  it('a stale registration id (410 from the relay): the session is rebuilt, the device gets the sender key again, the send goes through', async () => {
    const [alice, bob, carol] = [local.client(), local.client(), local.client()];
    await registerAll([alice, bob, carol]);
    const group = await alice.groups.create({ members: [bob.address.account, carol.address.account] });
    await pollAll([alice, bob, carol]);
    await alice.groups.send(group.id, { text: 'one' });
    await pollAll([alice, bob, carol]);
    // Alice's record of bob's device names another registration id (as after a reinstall).
    const g = (await alice.store.groups.get(group.id))!;
    await alice.store.groups.put({ ...g, sharedWith: g.sharedWith.map((d) => (d.account === bob.address.account ? { ...d, registrationId: (d.registrationId % 16000) + 1 } : d)) });
    const captured = captureSentMessages(alice);
    const bobIn = collect(bob);
    await alice.groups.send(group.id, { text: 'two' });
    expect(captured.length).toBe(2);
    const after = (await alice.store.groups.get(group.id))!;
    expect(after.distributionId).toBe(g.distributionId);
    expect(after.sharedWith).toEqual(expect.arrayContaining(g.sharedWith.filter((d) => d.account === bob.address.account)));
    await pollAll([alice, bob, carol]);
    expect(texts(bobIn, group.id)).toEqual(['two']);
  });
});
