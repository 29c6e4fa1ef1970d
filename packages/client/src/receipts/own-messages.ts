/**
 * Finding the messages a receipt names among our own: a receipt says only
 * author + timestamp, and is valid only for a message this account wrote
 * (on any of its devices: sync copies are in the history too) to the
 * receipt's sender — in the 1:1 conversation with it, or in a group of
 * which it is a member. The history is searched, newest first, within the
 * newest `OWN_MESSAGE_WINDOW` messages of each candidate conversation.
 */
import { currentChange } from '../groups/membership.ts';
import { memberOf } from '../groups/group-change.ts';
import { groupPeer } from '../groups/types.ts';
import type { StoreTransaction } from '../store/types.ts';

/** How many of a conversation's newest messages a receipt's targets are looked for in. */
export const OWN_MESSAGE_WINDOW = 1000;

/** The conversations (1:1 with `from`, and every group both are members of) a receipt from `from` may be about. */
export async function conversationsWith(tx: StoreTransaction, ownAccount: string, from: string): Promise<string[]> {
  const out = [from];
  for (const group of await tx.groups.list()) {
    const state = currentChange(group).state;
    if (memberOf(state, from) !== undefined && memberOf(state, ownAccount) !== undefined) out.push(groupPeer(group.groupId));
  }
  return out;
}

/**
 * Of `timestamps` (of messages authored by `ownAccount`), those that are
 * messages of ours in a conversation with `from`; maps each to its conversation.
 */
export async function findOwnMessages(tx: StoreTransaction, ownAccount: string, from: string, timestamps: ReadonlySet<number>): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  if (timestamps.size === 0) return found;
  for (const conversation of await conversationsWith(tx, ownAccount, from)) {
    for (const m of await tx.history.conversation(conversation, OWN_MESSAGE_WINDOW)) {
      if (m.direction === 'out' && m.sender.account === ownAccount && timestamps.has(m.timestamp) && !found.has(m.timestamp)) found.set(m.timestamp, conversation);
    }
    if (found.size === timestamps.size) break;
  }
  return found;
}
