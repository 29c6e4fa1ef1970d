/** The receiving rules on a store directly: what an edit, a delete, a repeat and a resent original do (and that a refusal writes nothing). */
import { describe, expect, it } from 'vitest';
import { encodeContent } from '../../src/content.ts';
import { applyEditOrDelete } from '../../src/edits/apply-edit.ts';
import { EditReceiver } from '../../src/edits/edit-inbound.ts';
import { DEFAULT_EDIT_POLICY } from '../../src/edits/types.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import type { RegisteredAccount } from '../../src/store/types.ts';

const bob = { account: 'acct-b', device: 3 };
const now = 10_000_000;
const ts = now - 60_000;

async function storeWithMessage() {
  const store = new MemoryStore();
  const content = encodeContent({ timestamp: ts, text: 'original' });
  const id = await store.history.add({ direction: 'in', peer: bob.account, sender: bob, timestamp: ts, content, envelopeId: 'e1', storedAt: 1 });
  return { store, id, content };
}

describe('edit rules on the store', () => {
  it('an edit, its repeat, a delete and its repeat; a resent original after them is not stored again', async () => {
    const { store, id } = await storeWithMessage();
    const target = { author: bob.account, timestamp: ts };
    const run = (c: Parameters<typeof applyEditOrDelete>[3]) => store.transaction((tx) => applyEditOrDelete(tx, bob.account, bob, c, now, DEFAULT_EDIT_POLICY));
    expect(await run({ version: 1, timestamp: now, edit: { target, text: 'edited' } })).toMatchObject({ kind: 'edited', oldText: 'original', newText: 'edited' });
    expect(await run({ version: 1, timestamp: now, edit: { target, text: 'edited' } })).toEqual({ kind: 'unchanged' });
    expect((await store.edits.list(id)).length).toBe(1);

    const receiver = new EditReceiver({ own: () => ({ account: 'acct-a' }) as RegisteredAccount, emit: () => {}, policy: DEFAULT_EDIT_POLICY });
    const original = { version: 1, timestamp: ts, text: 'original' };
    // A resend (PreKey message, type 3) of the edited original: skipped (a function to run, nothing to store); a normal message is not.
    expect(await store.transaction((tx) => receiver.apply(tx, { sender: bob, contentType: 3 }, original, bob.account, now))).toBeTypeOf('function');
    expect(await store.transaction((tx) => receiver.apply(tx, { sender: bob, contentType: 2 }, original, bob.account, now))).toBeUndefined();
    expect(await store.transaction((tx) => receiver.apply(tx, { sender: { ...bob, device: 4 }, contentType: 3 }, original, bob.account, now))).toBeUndefined();

    expect(await run({ version: 1, timestamp: now, delete: { target } })).toMatchObject({ kind: 'deleted', id });
    expect(await run({ version: 1, timestamp: now, delete: { target } })).toEqual({ kind: 'unchanged' });
    expect(await run({ version: 1, timestamp: now, edit: { target, text: 'back' } })).toMatchObject({ kind: 'rejected', error: { code: 'EDIT_TARGET_DELETED' } });
    expect(await store.edits.list(id)).toEqual([]);
    expect(await store.transaction((tx) => receiver.apply(tx, { sender: bob, contentType: 3 }, original, bob.account, now))).toBeTypeOf('function');
  });

  it('refusals write nothing: not the author, unknown target, outside the window (the configured one)', async () => {
    const { store, id, content } = await storeWithMessage();
    const run = (by: typeof bob, c: Parameters<typeof applyEditOrDelete>[3], policy = DEFAULT_EDIT_POLICY, at = now) => store.transaction((tx) => applyEditOrDelete(tx, bob.account, by, c, at, policy));
    const target = { author: bob.account, timestamp: ts };
    const codes = [
      await run({ account: 'acct-c', device: 1 }, { version: 1, timestamp: now, edit: { target, text: 'x' } }),
      await run({ account: 'acct-c', device: 1 }, { version: 1, timestamp: now, delete: { target: { ...target, author: 'acct-c' } } }),
      await run(bob, { version: 1, timestamp: now, edit: { target: { ...target, timestamp: ts + 1 }, text: 'x' } }),
      await run(bob, { version: 1, timestamp: now, delete: { target } }, { editWindowMs: DEFAULT_EDIT_POLICY.editWindowMs, deleteWindowMs: 30_000 }),
      await run(bob, { version: 1, timestamp: now, edit: { target, text: 'x' } }, DEFAULT_EDIT_POLICY, ts + DEFAULT_EDIT_POLICY.editWindowMs + 1),
    ].map((o) => (o.kind === 'rejected' ? o.error.code : o.kind));
    expect(codes).toEqual(['EDIT_NOT_AUTHOR', 'EDIT_TARGET_UNKNOWN', 'EDIT_TARGET_UNKNOWN', 'EDIT_WINDOW_EXPIRED', 'EDIT_WINDOW_EXPIRED']);
    expect((await store.history.get(id))?.content).toEqual(content);
    expect(await store.edits.list(id)).toEqual([]);
  });
});
