/**
 * Edit and delete for everyone in a group of three (real key server and
 * relay), the author with a second device: every member and the author's
 * other device apply them; a member's forged edit or delete of another's
 * message is refused everywhere with nothing changed; extensions reach
 * every member.
 */
import { describe, expect, it } from 'vitest';
import type { SealpostClient } from '../../src/client.ts';
import type { EditRejectedEvent } from '../../src/edits/types.ts';
import { GROUP_TEST_CLIENT, collect, pollAll, registerAll } from '../support/groups.ts';
import { forgeTargetAuthor, snapshot, withSenderKeyRewrite } from '../support/edits.ts';
import { linkDevice } from '../support/link.ts';
import { useLocalServices } from '../support/local-services.ts';

const local = useLocalServices({ clientDefaults: GROUP_TEST_CLIENT });

const texts = async (c: SealpostClient, groupId: string) => (await c.groups.history(groupId)).map((m) => (m.decoded.delete !== undefined ? '(deleted)' : m.decoded.text));

describe('edit and delete for everyone in a group', () => {
  it('a group of three: members and the author\'s other device apply edits and deletes; forged ones are refused', async () => {
    const [alice, bob, carol] = [local.client(), local.client(), local.client()];
    await registerAll([alice, bob, carol]);
    const alice2 = local.client();
    await linkDevice(alice, alice2);
    const all = [alice, alice2, bob, carol];
    const group = await alice.groups.create({ title: 'Lunch', members: [bob.address.account, carol.address.account] });
    await pollAll(all);
    const inbox = all.map(collect);
    const edited = all.map((c) => {
      const out: string[] = [];
      c.on('edited', (e) => out.push(`${e.oldText} -> ${e.newText} @${e.message.conversation}`));
      c.on('deletedForEveryone', (e) => out.push(`deleted @${e.conversation}`));
      return out;
    });
    const rejected = all.map((c) => {
      const out: EditRejectedEvent[] = [];
      c.on('editRejected', (e) => out.push(e));
      return out;
    });

    const g1 = await alice.groups.send(group.id, { text: 'noodles at 12', extensions: [{ type: 'com.example.poll', data: Uint8Array.of(1, 2, 3) }] });
    const g1Ref = { author: alice.address.account, timestamp: (await alice.groups.history(group.id))[0]!.timestamp };
    await alice.groups.send(group.id, { text: 'oops, wrong group' });
    const g2Ref = { author: alice.address.account, timestamp: (await alice.groups.history(group.id))[1]!.timestamp };
    expect(g1.id).toBeGreaterThan(0);
    await pollAll(all);
    for (const i of [1, 2, 3]) expect(inbox[i]!.map((m) => m.content.extensions?.[0]?.data)).toEqual([Uint8Array.of(1, 2, 3), undefined]);

    const edit = await alice.groups.edit(group.id, g1Ref, 'noodles at 1');
    expect(edit.conversation).toBe(`group:${group.id}`);
    await alice.groups.deleteForEveryone(group.id, g2Ref);
    await pollAll(all);
    for (const c of all) {
      expect(await texts(c, group.id)).toEqual(['noodles at 1', '(deleted)']);
      expect((await c.editHistory(`group:${group.id}`, g1Ref)).map((v) => v.text)).toEqual(['noodles at 12']);
    }
    for (const e of edited) expect(e).toEqual([`noodles at 12 -> noodles at 1 @group:${group.id}`, `deleted @group:${group.id}`]);
    // The edit kept the rest of the message (its extension).
    expect((await bob.groups.history(group.id))[0]!.decoded.extensions).toEqual([{ type: 'com.example.poll', data: Uint8Array.of(1, 2, 3) }]);

    // Carol may not edit Alice's message: refused by her SDK; a forging Carol is refused by every member.
    await expect(carol.groups.edit(group.id, g1Ref, 'carol was here')).rejects.toMatchObject({ code: 'EDIT_NOT_AUTHOR' });
    const before = await Promise.all([alice, alice2, bob].map((c) => snapshot(c, `group:${group.id}`)));
    await withSenderKeyRewrite(forgeTargetAuthor(alice.address.account), async () => {
      await carol.groups.edit(group.id, { author: carol.address.account, timestamp: g1Ref.timestamp }, 'carol was here');
      await carol.groups.deleteForEveryone(group.id, { author: carol.address.account, timestamp: g1Ref.timestamp });
    });
    await pollAll(all);
    expect(await Promise.all([alice, alice2, bob].map((c) => snapshot(c, `group:${group.id}`)))).toEqual(before);
    for (const i of [0, 1, 2]) expect(rejected[i]!.map((r) => [r.kind, r.error.code, r.from.account])).toEqual([['edit', 'EDIT_NOT_AUTHOR', carol.address.account], ['delete', 'EDIT_NOT_AUTHOR', carol.address.account]]);
    // Nothing of it was stored as a message anywhere.
    for (const c of all) expect(await c.store.history.count()).toBe(2);
  });
});
