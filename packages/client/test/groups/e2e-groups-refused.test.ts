/**
 * Group messages and changes that must be refused, end to end: each is a
 * typed `GroupError`, the envelope is quarantined, and the group record, the
 * sender-key records and the history stay exactly as they were.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '@sealpost/protocol/primitives';
import type { SealpostClient } from '../../src/client.ts';
import { GroupError } from '../../src/groups/errors.ts';
import { parseGroupChange, signGroupChange } from '../../src/groups/group-change.ts';
import { contextOf, currentChange } from '../../src/groups/membership.ts';
import { useLocalServices } from '../support/local-services.ts';
import { GROUP_TEST_CLIENT, collect, collectErrors, dropQueued, pollAll, registerAll, sendAs, texts } from '../support/groups.ts';

const local = useLocalServices({ clientDefaults: GROUP_TEST_CLIENT });

/** Everything of `client` a refused envelope must not change. */
async function snapshot(client: SealpostClient, groupId: string, senders: SealpostClient[], distributionIds: string[]) {
  const group = await client.store.groups.get(groupId);
  const keys: (Uint8Array | undefined)[] = [];
  for (const s of senders) for (const d of distributionIds) keys.push(await client.store.senderKeys.load(s.address, d));
  return { group, keys, history: await client.store.history.count() };
}

async function identityOf(client: SealpostClient) {
  const a = await client.store.identities.localAccount();
  return { privateKey: a!.identityPrivateKey, publicKey: a!.identityPublicKey };
}

const groupErrors = (errors: unknown[]) => errors.filter((e): e is GroupError => e instanceof GroupError).map((e) => e.code);

describe('refused group messages and changes', () => {
  it('a sender not a member at the epoch it names (never a member; added later) is GROUP_NOT_MEMBER; nothing changes', async () => {
    const [alice, bob, dave, eve] = [local.client(), local.client(), local.client(), local.client()];
    await registerAll([alice, bob, dave, eve]);
    const group = await alice.groups.create({ members: [bob.address.account] });
    await pollAll([alice, bob]);
    const epoch0 = contextOf(currentChange((await bob.store.groups.get(group.id))!));
    await alice.groups.addMembers(group.id, [dave.address.account]);
    await alice.groups.send(group.id, { text: 'hello' });
    await pollAll([alice, bob, dave]);
    const epoch1 = contextOf(currentChange((await bob.store.groups.get(group.id))!));
    const errors = collectErrors(bob);
    const bobIn = collect(bob);
    const before = await snapshot(bob, group.id, [alice, eve, dave], []);

    await sendAs(local.services, eve, bob, { timestamp: Date.now(), group: epoch1, text: 'let me in' });
    await sendAs(local.services, dave, bob, { timestamp: Date.now(), group: epoch0, text: 'I was here all along' });
    await bob.poll();
    expect(groupErrors(errors)).toEqual(['GROUP_NOT_MEMBER', 'GROUP_NOT_MEMBER']);
    expect(bobIn).toEqual([]);
    expect((await bob.quarantined()).map((q) => q.reason)).toEqual(['GROUP_NOT_MEMBER', 'GROUP_NOT_MEMBER']);
    expect(await snapshot(bob, group.id, [alice, eve, dave], [])).toEqual(before);
  });

  it("a non-member's sender key is refused (GROUP_NOT_MEMBER) and not stored", async () => {
    const [alice, bob, eve] = [local.client(), local.client(), local.client()];
    await registerAll([alice, bob, eve]);
    const group = await alice.groups.create({ members: [bob.address.account] });
    await pollAll([alice, bob]);
    // A well-formed distribution message of eve's own chain (made by the protocol, as her client would).
    const { senderKeyOps } = await import('../../src/groups/sender-key-ops.ts');
    const distributionId = '6c3f9a2e-1b7d-4c5e-9f00-0123456789ab';
    const { message } = senderKeyOps.distribution(undefined, distributionId);
    const errors = collectErrors(bob);
    const context = contextOf(currentChange((await bob.store.groups.get(group.id))!));
    const before = await snapshot(bob, group.id, [eve], [distributionId]);
    await sendAs(local.services, eve, bob, { timestamp: Date.now(), group: context, senderKeyDistribution: message });
    await bob.poll();
    expect(groupErrors(errors)).toEqual(['GROUP_NOT_MEMBER']);
    expect(await snapshot(bob, group.id, [eve], [distributionId])).toEqual(before);
    expect(before.keys).toEqual([undefined]);
  });

  it('a forged change (signed by another key, or tampered) is GROUP_FORGED_CHANGE; nothing changes', async () => {
    const [alice, bob, eve] = [local.client(), local.client(), local.client()];
    await registerAll([alice, bob, eve]);
    const group = await alice.groups.create({ title: 'real', members: [bob.address.account] });
    await pollAll([alice, bob]);
    const current = currentChange((await bob.store.groups.get(group.id))!);
    const errors = collectErrors(bob);
    const before = await snapshot(bob, group.id, [], []);
    const next = { ...current.state, epoch: 1, prevHash: current.hash, title: 'taken over', members: [...current.state.members, { account: eve.address.account, role: 'admin' as const, addedEpoch: 1, profileKey: eve.contactCard().profileKey }] };
    // Claims alice as its author but is signed with eve's identity key; delivered by eve.
    const forged = signGroupChange(next, alice.address, await identityOf(eve));
    await sendAs(local.services, eve, bob, { timestamp: Date.now(), group: contextOf(forged), groupChanges: [forged.bytes] });
    // A change alice really signed, one byte of its title changed afterwards.
    const real = signGroupChange({ ...next, members: current.state.members, title: 'renamed' }, alice.address, await identityOf(alice));
    const tampered = real.bytes.slice();
    const at = Buffer.from(tampered).indexOf('renamed'); // inside the signed state
    expect(at).toBeGreaterThan(0);
    tampered[at] = tampered[at]! ^ 0x01;
    await sendAs(local.services, eve, bob, { timestamp: Date.now(), group: contextOf(real), groupChanges: [tampered] });
    await bob.poll();
    expect(groupErrors(errors)).toEqual(['GROUP_FORGED_CHANGE', 'GROUP_FORGED_CHANGE']);
    expect(await snapshot(bob, group.id, [], [])).toEqual(before);
    expect((await bob.groups.get(group.id))?.title).toBe('real');
  });

  it('a stale epoch: a removed member still sending at its old epoch, and a change from before the log, are GROUP_STALE_EPOCH; nothing changes', async () => {
    const [alice, bob, carol, dave] = [local.client(), local.client(), local.client(), local.client()];
    await registerAll([alice, bob, carol, dave]);
    const group = await alice.groups.create({ members: [bob.address.account, carol.address.account] });
    await pollAll([alice, bob, carol]);
    const epoch0 = currentChange((await alice.store.groups.get(group.id))!);
    await carol.groups.send(group.id, { text: 'before' });
    await pollAll([alice, bob, carol]);
    // Carol is removed, but the relay drops her copy of the change: her client still thinks it is a member at epoch 0.
    await alice.groups.removeMembers(group.id, [carol.address.account]);
    await dropQueued(carol);
    await pollAll([alice, bob]);
    const distributionId = (await carol.store.groups.get(group.id))!.distributionId!;
    const errors = collectErrors(bob);
    const bobIn = collect(bob);
    const before = await snapshot(bob, group.id, [carol], [distributionId]);
    await carol.groups.send(group.id, { text: 'still here?' });
    await bob.poll();
    expect(groupErrors(errors)).toEqual(['GROUP_STALE_EPOCH']);
    expect(texts(bobIn)).toEqual([]);
    expect(await snapshot(bob, group.id, [carol], [distributionId])).toEqual(before);

    // Dave joins at epoch 2; the epoch-0 change (validly signed) is from before his log starts.
    await alice.groups.addMembers(group.id, [dave.address.account]);
    await pollAll([alice, bob, dave]);
    const daveErrors = collectErrors(dave);
    const daveBefore = await snapshot(dave, group.id, [], []);
    await sendAs(local.services, alice, dave, { timestamp: Date.now(), group: contextOf(epoch0), groupChanges: [epoch0.bytes] });
    await dave.poll();
    expect(groupErrors(daveErrors)).toEqual(['GROUP_STALE_EPOCH']);
    expect(await snapshot(dave, group.id, [], [])).toEqual(daveBefore);
    // The same change again for bob (who has it logged) is a duplicate: accepted silently, nothing changes.
    const bobBefore = await snapshot(bob, group.id, [], []);
    await sendAs(local.services, alice, bob, { timestamp: Date.now(), group: contextOf(epoch0), groupChanges: [epoch0.bytes] });
    await bob.poll();
    expect(groupErrors(errors)).toEqual(['GROUP_STALE_EPOCH']);
    expect(await snapshot(bob, group.id, [], [])).toEqual(bobBefore);
  });

  it('equivocation: a second validly signed change for an epoch, or a message naming another state, is GROUP_EQUIVOCATION; the group freezes', async () => {
    const [alice, bob, carol] = [local.client(), local.client(), local.client()];
    await registerAll([alice, bob, carol]);
    const group = await alice.groups.create({ title: 'one', members: [bob.address.account, carol.address.account] });
    await pollAll([alice, bob, carol]);
    const epoch0 = currentChange((await alice.store.groups.get(group.id))!);
    await alice.groups.rename(group.id, 'two');
    await pollAll([alice, bob, carol]);
    // Alice (a malicious admin) signs another epoch 1 and shows it to bob only.
    const fork = signGroupChange({ ...epoch0.state, epoch: 1, prevHash: epoch0.hash, title: 'two, for bob' }, alice.address, await identityOf(alice));
    const errors = collectErrors(bob);
    const conflicts: string[] = [];
    bob.on('groupConflict', (c) => conflicts.push(`${c.groupId}@${c.epoch}`));
    const before = await snapshot(bob, group.id, [], []);
    await sendAs(local.services, alice, bob, { timestamp: Date.now(), group: contextOf(fork), groupChanges: [fork.bytes] });
    await bob.poll();
    expect(groupErrors(errors)).toEqual(['GROUP_EQUIVOCATION']);
    expect(conflicts).toEqual([`${group.id}@1`]);
    const after = (await bob.store.groups.get(group.id))!;
    expect({ ...after, conflict: undefined, updatedAt: before.group!.updatedAt }).toEqual(before.group);
    expect(after.conflict?.epoch).toBe(1);
    expect((await bob.groups.get(group.id))?.title).toBe('two');
    await expect(bob.groups.send(group.id, { text: 'x' })).rejects.toMatchObject({ code: 'GROUP_EQUIVOCATION' });

    // Carol gets a message naming epoch 1 with the fork's hash: the same, through the message context.
    const carolErrors = collectErrors(carol);
    const carolBefore = await snapshot(carol, group.id, [], []);
    await sendAs(local.services, alice, carol, { timestamp: Date.now(), group: contextOf(fork), text: 'which title?' });
    await carol.poll();
    expect(groupErrors(carolErrors)).toEqual(['GROUP_EQUIVOCATION']);
    const carolAfter = (await carol.store.groups.get(group.id))!;
    expect(carolAfter.change).toEqual(carolBefore.group!.change);
    expect(carolAfter.conflict?.epoch).toBe(1);
    expect(parseGroupChange(carolAfter.change).state.title).toBe('two');
    expect(fromHex(group.id)).toEqual(epoch0.state.groupId);
  });

  it('a malformed sender-key distribution message from a member is INVALID_DATA: quarantined, no retry request (the session worked)', async () => {
    const [alice, bob] = [local.client(), local.client()];
    await registerAll([alice, bob]);
    const group = await alice.groups.create({ members: [bob.address.account] });
    await pollAll([alice, bob]);
    const context = contextOf(currentChange((await bob.store.groups.get(group.id))!));
    const errors = collectErrors(bob);
    await sendAs(local.services, alice, bob, { timestamp: Date.now(), group: context, senderKeyDistribution: Uint8Array.of(0x33, 1, 2, 3) });
    await bob.poll();
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['INVALID_DATA']);
    expect((await bob.quarantined()).map((q) => q.reason)).toEqual(['INVALID_DATA']);
    // Alice got nothing to answer: no decryption-error message was sent.
    expect(await alice.poll()).toBe(0);
  });
});
