/**
 * Applying an edit or a delete for everyone to the stored history, inside
 * the caller's transaction (the envelope's, or the author's own after its
 * send). The rules, checked in this order:
 *
 * 1. only the author: the sending account must be the target's author
 *    (`EDIT_NOT_AUTHOR`);
 * 2. the target must be stored in this conversation (`EDIT_TARGET_UNKNOWN`)
 *    and not already deleted (`EDIT_TARGET_DELETED`);
 * 3. within the window: `now - target timestamp` at most the edit (or
 *    delete) window, by this device's clock (`EDIT_WINDOW_EXPIRED`).
 *
 * An edit keeps the message's previous `Content` bytes in the `edits` role
 * and replaces its text in place: the rest of the stored bytes (unknown
 * fields of a newer client included) is kept as it was. A delete replaces
 * the content by a tombstone (a `Content` with only version, timestamp,
 * message id and `delete` naming the message itself) and drops its edit
 * history; the SQLite store overwrites the old bytes (secure_delete + WAL
 * checkpoint). A refusal changes nothing.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ContentSchema } from '../gen/content_pb.ts';
import { CONTENT_VERSION, decodeContent, encodeContent, type MessageContent, type MessageRef } from '../content.ts';
import type { DeviceAddress, StoreTransaction, StoredMessage } from '../store/types.ts';
import { EditError } from './errors.ts';
import type { EditPolicy } from './types.ts';

/** What applying produced. */
export type EditOutcome =
  | { kind: 'edited'; message: StoredMessage; content: MessageContent; oldText: string; newText: string }
  | { kind: 'deleted'; id: number; target: MessageRef }
  /** The same text again (a repeated edit): nothing to do. */
  | { kind: 'unchanged' }
  | { kind: 'rejected'; action: 'edit' | 'delete'; target: MessageRef; error: EditError };

/** True when `content` is an edit or a delete for everyone (it changes a stored message; it is not one). */
export function isEditOrDelete(content: MessageContent): boolean {
  return content.edit !== undefined || content.delete !== undefined;
}

/** True when `content` carries an edit, a delete, extensions or unknown fields (what a group member must check and keep). */
export function hasEditContent(content: MessageContent): boolean {
  return isEditOrDelete(content) || content.extensions !== undefined || content.unknownFields !== undefined;
}

/** True for a stored message that was deleted for everyone. */
export function isTombstone(content: MessageContent): boolean {
  return content.delete !== undefined;
}

/** `bytes` (a stored `Content`) with its text replaced; every other field, unknown ones included, as it was. */
export function withText(bytes: Uint8Array, text: string): Uint8Array {
  const m = fromBinary(ContentSchema, bytes);
  m.text = text;
  return toBinary(ContentSchema, m);
}

/** The tombstone that replaces a message deleted for everyone. */
export function tombstoneOf(row: StoredMessage, old: MessageContent): Uint8Array {
  const target: MessageRef = { author: row.sender.account, timestamp: row.timestamp };
  if (old.messageId !== undefined) target.messageId = old.messageId;
  return encodeContent({ version: CONTENT_VERSION, timestamp: row.timestamp, ...(old.messageId === undefined ? {} : { messageId: old.messageId }), delete: { target } });
}

/** Checks the rules that need no stored message: author and window (throws `EditError`). */
export function checkAuthorAndWindow(action: 'edit' | 'delete', target: MessageRef, by: string, now: number, policy: EditPolicy): void {
  if (target.author !== by) throw new EditError('EDIT_NOT_AUTHOR', `${action === 'edit' ? 'an edit' : 'a delete'} of a message by another account`);
  const window = action === 'edit' ? policy.editWindowMs : policy.deleteWindowMs;
  if (now - target.timestamp > window) throw new EditError('EDIT_WINDOW_EXPIRED', `${action === 'edit' ? 'an edit' : 'a delete'} ${Math.round((now - target.timestamp) / 60_000)} min after the message; the window is ${Math.round(window / 60_000)} min`);
}

/** Applies `content` (an edit or a delete sent by `by`) to conversation `peer`; see the module comment. */
export async function applyEditOrDelete(tx: StoreTransaction, peer: string, by: DeviceAddress, content: MessageContent, now: number, policy: EditPolicy): Promise<EditOutcome> {
  const action = content.edit !== undefined ? 'edit' : 'delete';
  const target = (content.edit ?? content.delete)!.target;
  try {
    checkAuthorAndWindow(action, target, by.account, now, policy);
    const row = await tx.history.findByRef(peer, target.author, target.timestamp);
    if (row === undefined) throw new EditError('EDIT_TARGET_UNKNOWN', `no message of ${target.author} at ${target.timestamp} in this conversation`);
    if (row.sender.account !== by.account) throw new EditError('EDIT_NOT_AUTHOR', 'the stored message has another author');
    const old = decodeContent(row.content);
    // A delete that arrives again (a resend) changes nothing more.
    if (isTombstone(old) && content.delete !== undefined) return { kind: 'unchanged' };
    if (isTombstone(old)) throw new EditError('EDIT_TARGET_DELETED', 'the message was deleted for everyone');
    if (content.edit !== undefined) {
      const oldText = old.text ?? '';
      if (oldText === content.edit.text) return { kind: 'unchanged' };
      await tx.edits.add({ messageId: row.id, content: row.content, editTimestamp: content.timestamp, replacedAt: now });
      const bytes = withText(row.content, content.edit.text);
      await tx.history.replaceContent(row.id, bytes);
      return { kind: 'edited', message: { ...row, content: bytes }, content: decodeContent(bytes), oldText, newText: content.edit.text };
    }
    await tx.edits.removeAll(row.id);
    await tx.history.replaceContent(row.id, tombstoneOf(row, old));
    return { kind: 'deleted', id: row.id, target };
  } catch (error) {
    if (error instanceof EditError) return { kind: 'rejected', action, target, error };
    throw error;
  }
}
