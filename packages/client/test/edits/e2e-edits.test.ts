/**
 * Edit and delete for everyone end to end (real key server and relay), 1:1,
 * both directions, with a second device of each account: applied on the
 * peer's devices and on the author's other device, history of edits kept,
 * non-author and out-of-window edits and deletes refused with nothing
 * changed, malformed edits quarantined as INVALID_DATA.
 */
import { describe, expect, it } from 'vitest';
import type { SealpostClient } from '../../src/client.ts';
import type { DeletedEvent, EditedEvent, EditRejectedEvent } from '../../src/edits/types.ts';
import { EditError } from '../../src/edits/errors.ts';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ContentSchema, EditSchema } from '../../src/gen/content_pb.ts';
import { GROUP_TEST_CLIENT, pollAll, registerAll } from '../support/groups.ts';
import { forgeTargetAuthor, rewritingOps, snapshot, type Rewrite } from '../support/edits.ts';
import { linkDevice } from '../support/link.ts';
import { useLocalServices } from '../support/local-services.ts';

const local = useLocalServices({ clientDefaults: GROUP_TEST_CLIENT });
const HOUR = 3600_000;

function events(client: SealpostClient) {
  const edited: EditedEvent[] = [];
  const deleted: DeletedEvent[] = [];
  const rejected: EditRejectedEvent[] = [];
  client.on('edited', (e) => edited.push(e));
  client.on('deletedForEveryone', (e) => deleted.push(e));
  client.on('editRejected', (e) => rejected.push(e));
  return { edited, deleted, rejected };
}

/** Two accounts with two devices each; `extra` options per client (alice1, alice2, bob1, bob2). */
async function twoByTwo(extra: Parameters<typeof local.client>[0][] = []) {
  const [alice1, bob1] = [local.client(extra[0]), local.client(extra[2])];
  await registerAll([alice1, bob1]);
  const [alice2, bob2] = [local.client(extra[1]), local.client(extra[3])];
  await linkDevice(alice1, alice2);
  await linkDevice(bob1, bob2);
  const all = [alice1, alice2, bob1, bob2];
  return { alice1, alice2, bob1, bob2, all, alice: alice1.address.account, bob: bob1.address.account };
}

const texts = async (c: SealpostClient, peer: string) => (await c.history(peer)).map((m) => (m.decoded.delete !== undefined ? '(deleted)' : m.decoded.text));

describe('edit and delete for everyone (1:1)', () => {
  it('apply on the peer devices and the author\'s other device, both directions, with the history of edits kept', async () => {
    const { alice1, alice2, bob1, bob2, all, alice, bob } = await twoByTwo();
    const ev = all.map(events);
    const m1 = await alice1.send(bob, { text: 'lunch at 12?' });
    const m2 = await alice1.send(bob, { text: 'the secret plan' });
    await pollAll(all);

    await alice1.edit(bob, m1.ref, 'lunch at 1?');
    await alice1.edit(bob, m1.ref, 'lunch at 1:30?');
    await pollAll(all);
    for (const [c, peer] of [[alice1, bob], [alice2, bob], [bob1, alice], [bob2, alice]] as const) {
      expect(await texts(c, peer)).toEqual(['lunch at 1:30?', 'the secret plan']);
      expect((await c.editHistory(peer, m1.ref)).map((v) => v.text)).toEqual(['lunch at 12?', 'lunch at 1?']);
    }
    for (const e of ev) {
      expect(e.edited.map((x) => [x.oldText, x.newText])).toEqual([['lunch at 12?', 'lunch at 1?'], ['lunch at 1?', 'lunch at 1:30?']]);
      expect(e.edited[1]!.message.content.text).toBe('lunch at 1:30?');
      expect(e.edited[1]!.by).toEqual(alice1.address);
    }
    expect(ev[2]!.edited[0]!.message).toMatchObject({ conversation: alice, sender: alice1.address, content: { timestamp: m1.ref.timestamp } });

    await alice1.deleteForEveryone(bob, m2.ref);
    await pollAll(all);
    for (const [c, peer] of [[alice1, bob], [alice2, bob], [bob1, alice], [bob2, alice]] as const) {
      expect(await texts(c, peer)).toEqual(['lunch at 1:30?', '(deleted)']);
      const row = (await c.history(peer))[1]!;
      expect(row.decoded.text).toBeUndefined();
      expect(Buffer.from(row.content).includes(Buffer.from('secret plan'))).toBe(false);
    }
    for (const e of ev) expect(e.deleted).toMatchObject([{ target: m2.ref, by: alice1.address }]);

    // The other direction: Bob writes from his laptop (device 2); his phone deletes it after the laptop edited it.
    const m3 = await bob2.send(alice, { text: 'see you tomrrow' });
    await pollAll(all);
    await bob2.edit(alice, m3.ref, 'see you tomorrow');
    await pollAll(all);
    await bob1.deleteForEveryone(alice, m3.ref);
    await pollAll(all);
    for (const [c, peer] of [[alice1, bob], [alice2, bob], [bob1, alice], [bob2, alice]] as const) {
      expect(await texts(c, peer)).toEqual(['lunch at 1:30?', '(deleted)', '(deleted)']);
      // A delete drops the history of edits too.
      expect(await c.editHistory(peer, m3.ref)).toEqual([]);
      expect((await c.editHistory(peer, m1.ref)).length).toBe(2);
    }
    for (const e of ev) {
      expect(e.edited.at(-1)).toMatchObject({ oldText: 'see you tomrrow', newText: 'see you tomorrow', by: bob2.address });
      expect(e.deleted.at(-1)).toMatchObject({ target: m3.ref, by: bob1.address });
      expect(e.rejected).toEqual([]);
    }
    // Edits and deletes are never stored as messages.
    for (const c of all) expect(await c.store.history.count()).toBe(3);

    // A deleted message can be neither edited nor deleted again.
    await expect(alice1.edit(bob, m2.ref, 'resurrected')).rejects.toMatchObject({ code: 'EDIT_TARGET_DELETED' });
  });

  it('refuses an edit or delete from a non-author on every device (store unchanged), and refuses it locally before sending', async () => {
    let forge: Rewrite | undefined;
    const bobOps = rewritingOps(() => forge);
    const { alice1, alice2, bob1, bob2, all, alice, bob } = await twoByTwo([{}, {}, { sessions: bobOps }, {}]);
    const ev = all.map(events);
    const m1 = await alice1.send(bob, { text: 'only I may change this' });
    await pollAll(all);
    const before = await Promise.all([snapshot(alice1, bob), snapshot(alice2, bob), snapshot(bob2, alice)]);

    // The SDK refuses it at the source.
    await expect(bob1.edit(alice, m1.ref, 'hacked')).rejects.toBeInstanceOf(EditError);
    await expect(bob1.deleteForEveryone(alice, m1.ref)).rejects.toMatchObject({ code: 'EDIT_NOT_AUTHOR' });
    // A forging client sends it anyway: Bob names his own account to the SDK, the wire names Alice.
    forge = forgeTargetAuthor(alice);
    await bob1.edit(alice, { author: bob, timestamp: m1.ref.timestamp }, 'hacked');
    await bob1.deleteForEveryone(alice, { author: bob, timestamp: m1.ref.timestamp });
    forge = undefined;
    await pollAll(all);

    expect(await Promise.all([snapshot(alice1, bob), snapshot(alice2, bob), snapshot(bob2, alice)])).toEqual(before);
    for (const i of [0, 1, 3]) {
      expect(ev[i]!.rejected.map((r) => [r.kind, r.error.code, r.target.author, r.from.account])).toEqual([
        ['edit', 'EDIT_NOT_AUTHOR', alice, bob],
        ['delete', 'EDIT_NOT_AUTHOR', alice, bob],
      ]);
      expect(ev[i]!.edited).toEqual([]);
      expect(ev[i]!.deleted).toEqual([]);
    }
    expect(await texts(alice1, bob)).toEqual(['only I may change this']);
    expect(await texts(bob2, alice)).toEqual(['only I may change this']);
  });

  it('refuses edits and deletes outside the window by the receiver\'s clock (injected), applies them inside it', async () => {
    let bobOffset = 0;
    const bobClock = { now: () => Date.now() + bobOffset };
    const { alice1, alice2, bob1, bob2, all, alice, bob } = await twoByTwo([{}, {}, bobClock, bobClock]);
    const ev = all.map(events);
    // Written 23 h ago by Alice's clock: still inside her 24 h window.
    const old = await alice1.send(bob, { text: 'written yesterday', timestamp: Date.now() - 23 * HOUR });
    const recent = await alice1.send(bob, { text: 'written now' });
    await pollAll(all);
    // Too old for the sender too: refused before sending.
    const ancient = await alice1.send(bob, { text: 'two days ago', timestamp: Date.now() - 48 * HOUR });
    await expect(alice1.edit(bob, ancient.ref, 'x')).rejects.toMatchObject({ code: 'EDIT_WINDOW_EXPIRED' });
    await pollAll(all);
    const bobBefore = await Promise.all([snapshot(bob1, alice), snapshot(bob2, alice)]);

    // Bob's clock says 2 h later: the old message is 25 h old there, past the 24 h windows.
    bobOffset = 2 * HOUR;
    await alice1.edit(bob, old.ref, 'edited late');
    await alice1.deleteForEveryone(bob, old.ref);
    await pollAll(all);
    expect(await Promise.all([snapshot(bob1, alice), snapshot(bob2, alice)])).toEqual(bobBefore);
    for (const i of [2, 3]) expect(ev[i]!.rejected.map((r) => [r.kind, r.error.code])).toEqual([['edit', 'EDIT_WINDOW_EXPIRED'], ['delete', 'EDIT_WINDOW_EXPIRED']]);
    // Alice's other device (her clock) applied both.
    expect(await texts(alice2, bob)).toEqual(['(deleted)', 'written now', 'two days ago']);
    // Inside the window on Bob's clock too.
    await alice1.edit(bob, recent.ref, 'edited in time');
    await pollAll(all);
    expect(await texts(bob1, alice)).toEqual(['written yesterday', 'edited in time', 'two days ago']);
    expect(await texts(bob2, alice)).toEqual(['written yesterday', 'edited in time', 'two days ago']);
  });

  it('quarantines a malformed edit as INVALID_DATA and changes nothing', async () => {
    let rewrite: Rewrite | undefined;
    const { alice1, bob1, bob2, all, alice, bob } = await twoByTwo([{ sessions: rewritingOps(() => rewrite) }]);
    const m1 = await alice1.send(bob, { text: 'fine' });
    await pollAll(all);
    const errors: unknown[] = [];
    bob1.on('error', (p) => errors.push(p.error));
    const before = await snapshot(bob1, alice);
    // Edits without a target, and with an empty text, written below the SDK's own checks.
    for (const edit of [create(EditSchema, { text: 'no target' }), create(EditSchema, { target: { author: alice, timestamp: BigInt(m1.ref.timestamp) }, text: '' })]) {
      rewrite = (bytes) => {
        const m = fromBinary(ContentSchema, bytes);
        if (m.edit === undefined) return undefined;
        m.edit = edit;
        return toBinary(ContentSchema, m);
      };
      await alice1.edit(bob, m1.ref, 'changed');
    }
    rewrite = undefined;
    await pollAll(all);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['INVALID_DATA', 'INVALID_DATA']);
    expect(await snapshot(bob1, alice)).toEqual(before);
    expect((await bob1.quarantined()).map((q) => q.reason)).toEqual(['INVALID_DATA', 'INVALID_DATA']);
    expect(await texts(bob2, alice)).toEqual(['fine']);
  });
});
