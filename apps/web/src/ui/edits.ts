/**
 * Edit and delete for everyone in the conversation view: which bubbles were
 * edited or deleted (from the store: a tombstone, or earlier versions in the
 * edit history), the "(edited)" mark and the "message deleted" rendering,
 * and, on our own messages, an edit action (inline field) and a
 * delete-for-everyone action. The SDK refuses edits of others' messages and
 * of messages older than its window (24 h); the page shows that as its
 * problem line.
 */
import type { ChatSession } from '../chat-session.ts';
import type { ChatEntry } from '../conversation.ts';
import { h, replaceChildren } from './dom.ts';

/**
 * The edit in progress per session (the message's history id and the draft): the view re-renders the
 * whole message list on every event (a receipt, a read, a new message), and an open edit field must
 * survive that with its text and focus.
 */
const editing = new WeakMap<ChatSession, { id: number; draft: string }>();

/** What happened to a message: edited (it has earlier versions) or deleted for everyone. */
export type EditMark = 'edited' | 'deleted';

/** The marks of `peer`'s conversation by history id (one store transaction for the edit histories). */
export async function loadEditMarks(session: ChatSession, peer: string): Promise<Map<number, EditMark>> {
  const marks = new Map<number, EditMark>();
  const history = await session.client.history(peer);
  const maybeEdited: number[] = [];
  for (const m of history) {
    if (m.decoded.delete !== undefined) marks.set(m.id, 'deleted');
    else if (m.decoded.text !== undefined) maybeEdited.push(m.id);
  }
  await session.client.store.transaction(async (tx) => {
    for (const id of maybeEdited) if ((await tx.edits.list(id)).length > 0) marks.set(id, 'edited');
  });
  return marks;
}

/** Shows `mark` on the bubble `li` of `entry` and, on our own messages, the edit and delete actions. */
export function decorateEdits(li: HTMLElement, entry: ChatEntry, mark: EditMark | undefined, session: ChatSession, peer: string): void {
  const text = li.querySelector<HTMLElement>('[data-testid=message-text]');
  const actions = li.querySelector<HTMLElement>('.message-actions');
  if (text === null || actions === null) return;
  if (mark === 'deleted') {
    li.classList.add('deleted');
    li.dataset.deleted = 'true';
    replaceChildren(text, h('em', { 'data-testid': 'message-deleted' }, 'message deleted'));
    li.querySelector('.reactions')?.remove();
    actions.remove();
    return;
  }
  if (mark === 'edited') text.after(h('span', { class: 'edited-mark', 'data-testid': 'edited-mark' }, '(edited)'));
  if (!entry.mine) return;
  const startEdit = (draft: string) => {
    editing.set(session, { id: entry.id, draft });
    const input = h('input', { 'data-testid': 'edit-input', value: draft, maxlength: 4000, oninput: () => editing.set(session, { id: entry.id, draft: input.value }) });
    const done = () => {
      editing.delete(session);
      form.replaceWith(text);
    };
    const form = h(
      'form',
      {
        class: 'edit-form',
        onsubmit: (event) => {
          event.preventDefault();
          const next = input.value.trim();
          done();
          if (next.length > 0 && next !== entry.text) void session.edit(peer, entry.ref, next).catch(() => {});
        },
      },
      input,
      h('button', { type: 'submit', 'data-testid': 'edit-save' }, 'Save'),
      h('button', { type: 'button', 'data-testid': 'edit-cancel', onclick: done }, '×'),
    );
    text.replaceWith(form);
    input.focus();
    input.setSelectionRange(draft.length, draft.length);
  };
  actions.append(
    h('button', { type: 'button', 'data-testid': 'edit', title: 'Edit for everyone', onclick: () => startEdit(entry.text) }, '✎'),
    h('button', { type: 'button', 'data-testid': 'delete-everyone', title: 'Delete for everyone', onclick: () => void session.deleteForEveryone(peer, entry.ref).catch(() => {}) }, '🗑'),
  );
  // A re-render while this message was being edited: the field comes back with its draft.
  const open = editing.get(session);
  if (open?.id === entry.id) startEdit(open.draft);
}
