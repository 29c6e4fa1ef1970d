/**
 * The receiving side of edits and deletes for everyone, called by
 * `Incoming.applyEnvelope` inside the envelope's transaction for every
 * decrypted content: an edit or delete is applied to the stored message (or
 * refused, changing nothing) instead of being stored as a message; the
 * events follow the commit. A malformed one never gets here: `decodeContent`
 * refused it with `INVALID_DATA` (the envelope is quarantined, the store
 * unchanged).
 */
import type { ClientEvents } from '../client-types.ts';
import { decodeContent, type MessageContent } from '../content.ts';
import type { OpenedEnvelope } from '../incoming.ts';
import { receivedMessage } from '../incoming.ts';
import type { RegisteredAccount, StoreTransaction } from '../store/types.ts';
import { applyEditOrDelete, isEditOrDelete, isTombstone, type EditOutcome } from './apply-edit.ts';
import type { EditPolicy } from './types.ts';

/** What `EditReceiver` works with. */
export interface EditReceiverDeps {
  own: () => RegisteredAccount;
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;
  policy: EditPolicy;
}

/** Emits the event of an applied (or refused) edit or delete in conversation `peer`. */
export function emitEditOutcome(d: EditReceiverDeps, outcome: EditOutcome, peer: string, by: OpenedEnvelope['sender']): void {
  switch (outcome.kind) {
    case 'edited':
      d.emit('edited', { message: receivedMessage(outcome.message, outcome.content, d.own().account), oldText: outcome.oldText, newText: outcome.newText, by });
      return;
    case 'deleted':
      d.emit('deletedForEveryone', { id: outcome.id, conversation: peer, target: outcome.target, by });
      return;
    case 'rejected':
      d.emit('editRejected', { kind: outcome.action, target: outcome.target, conversation: peer, from: by, error: outcome.error });
      return;
    case 'unchanged':
      return;
  }
}

/** The edit handling of received content. */
export class EditReceiver {
  constructor(private readonly d: EditReceiverDeps) {}

  /**
   * Inside the envelope's transaction: applies `content` to conversation
   * `peer` when it is an edit or a delete and returns what to run after the
   * commit; undefined for any other content (stored as usual).
   */
  async apply(tx: StoreTransaction, opened: Pick<OpenedEnvelope, 'sender' | 'contentType'>, content: MessageContent, peer: string, now: number): Promise<(() => void) | undefined> {
    if (!isEditOrDelete(content)) return (await this.#resentAfterEdit(tx, opened, content, peer)) ? () => {} : undefined;
    const outcome = await applyEditOrDelete(tx, peer, opened.sender, content, now, this.d.policy);
    return () => emitEditOutcome(this.d, outcome, peer, opened.sender);
  }

  /**
   * True for a resent original (a PreKey message, as every resend after a
   * decryption-error message is) of a message this device has already edited
   * or deleted: its bytes differ from the stored ones, so the byte check of
   * `Incoming` would store it again — and bring a deleted text back.
   */
  async #resentAfterEdit(tx: StoreTransaction, opened: Pick<OpenedEnvelope, 'sender' | 'contentType'>, content: MessageContent, peer: string): Promise<boolean> {
    if (opened.contentType !== 3) return false;
    const row = await tx.history.findByRef(peer, opened.sender.account, content.timestamp);
    if (row === undefined || row.sender.device !== opened.sender.device) return false;
    return isTombstone(decodeContent(row.content)) || (await tx.edits.list(row.id)).length > 0;
  }
}
