/**
 * Sending edits and deletes for everyone (`client.edit`,
 * `client.deleteForEveryone`, `client.groups.edit` / `deleteForEveryone`)
 * and reading edit histories (`client.editHistory`).
 *
 * The author's device checks the rules it can (the target is ours, within
 * the window, not deleted here) and throws `EditError` before anything is
 * sent; then the edit goes to every device of the peer (1:1) or of every
 * member (group, one sender-key send), with a sync copy for our other
 * devices, and is applied to our own stored copy in one transaction. Edits
 * and deletes are never stored as messages.
 */
import type { ClientEvents } from '../client-types.ts';
import { decodeContent, encodeContent, type MessageContent, type MessageRef } from '../content.ts';
import type { Outgoing } from '../outgoing.ts';
import type { ClientStore, RegisteredAccount } from '../store/types.ts';
import type { GroupSender } from '../groups/group-send.ts';
import { groupPeer } from '../groups/types.ts';
import { applyEditOrDelete, checkAuthorAndWindow, isTombstone } from './apply-edit.ts';
import { emitEditOutcome } from './edit-inbound.ts';
import { EditError } from './errors.ts';
import type { EditPolicy, EditVersion } from './types.ts';

/** What `Edits` works with. */
export interface EditsDeps {
  store: ClientStore;
  outgoing: Outgoing;
  groupSender: GroupSender;
  own: () => RegisteredAccount;
  now: () => number;
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;
  policy: EditPolicy;
}

/** What an edit or delete for everyone did on this device. */
export interface EditSendResult {
  /** The conversation (peer account, or `group:<id>`). */
  conversation: string;
  /** The local id of our stored copy of the target, when this device has it. */
  id: number | undefined;
  /** The edit's (or delete's) own sender timestamp, ms. */
  timestamp: number;
}

/** The edit API of one client. */
export class Edits {
  constructor(private readonly d: EditsDeps) {}

  /** Edits our message `target` in the 1:1 conversation with `to` for everyone. */
  edit(to: string, target: MessageRef, text: string): Promise<EditSendResult> {
    return this.#send({ to }, 'edit', target, text);
  }

  /** Deletes our message `target` in the 1:1 conversation with `to` for everyone. */
  deleteForEveryone(to: string, target: MessageRef): Promise<EditSendResult> {
    return this.#send({ to }, 'delete', target);
  }

  /** Edits our message `target` in group `groupId` for every member. */
  groupEdit(groupId: string, target: MessageRef, text: string): Promise<EditSendResult> {
    return this.#send({ groupId }, 'edit', target, text);
  }

  /** Deletes our message `target` in group `groupId` for every member. */
  groupDelete(groupId: string, target: MessageRef): Promise<EditSendResult> {
    return this.#send({ groupId }, 'delete', target);
  }

  /** The earlier versions of message `ref` in conversation `peer` (an account, or `group:<id>`), oldest first; empty when never edited or deleted. */
  async editHistory(peer: string, ref: MessageRef): Promise<EditVersion[]> {
    const row = await this.d.store.history.findByRef(peer, ref.author, ref.timestamp);
    if (row === undefined) return [];
    return (await this.d.store.edits.list(row.id)).map((e) => ({ text: decodeContent(e.content).text ?? '', replacedAt: e.replacedAt, editTimestamp: e.editTimestamp }));
  }

  async #send(where: { to: string } | { groupId: string }, action: 'edit' | 'delete', target: MessageRef, text?: string): Promise<EditSendResult> {
    const own = this.d.own();
    const me = { account: own.account, device: own.device };
    const peer = 'to' in where ? where.to : groupPeer(where.groupId);
    const timestamp = this.d.now();
    checkAuthorAndWindow(action, target, own.account, timestamp, this.d.policy);
    const content: MessageContent = { version: 1, timestamp, ...(action === 'edit' ? { edit: { target, text: text ?? '' } } : { delete: { target } }) };
    // Validates the edit (text bounds) before anything is sent.
    const plaintext = encodeContent({ ...content, profileKey: own.profileKey });
    const stored = await this.d.store.history.findByRef(peer, own.account, target.timestamp);
    if (stored !== undefined && isTombstone(decodeContent(stored.content))) throw new EditError('EDIT_TARGET_DELETED', 'the message was deleted for everyone');
    if ('to' in where) {
      if (where.to !== own.account) await this.d.outgoing.sendContent(where.to, plaintext, timestamp);
      try {
        await this.d.outgoing.sendContent(own.account, encodeContent({ ...content, profileKey: own.profileKey, sentTranscript: { destination: where.to } }), timestamp);
      } catch (error) {
        // The peer has it; our other devices get the copy from the outbox later.
        this.d.emit('error', { error });
      }
    } else {
      // One sender-key send to the members, with the group's sync copy to our other devices; not stored as a message.
      await this.d.groupSender.send(where.groupId, content, { storeInHistory: false });
    }
    const outcome = await this.d.store.transaction((tx) => applyEditOrDelete(tx, peer, me, content, this.d.now(), this.d.policy));
    // Our own copy missing (sent before this device was linked) is no failure: the others have it.
    if (outcome.kind === 'rejected' && outcome.error.code !== 'EDIT_TARGET_UNKNOWN') emitEditOutcome(this.d, outcome, peer, me);
    else if (outcome.kind !== 'rejected') emitEditOutcome(this.d, outcome, peer, me);
    return { conversation: peer, id: stored?.id, timestamp };
  }
}
