/**
 * A conversation as the page shows it, computed from the stored history:
 * text messages in order, each with the message it replies to and the
 * reactions it got (a reaction is a message of its own on the wire; the
 * latest reaction of each author to a message counts, a removal clears it).
 */
import type { MessageContent, MessageRef, StoredMessage } from '@sealpost/client';

/** One message bubble. */
export interface ChatEntry {
  /** Local history id. */
  id: number;
  mine: boolean;
  ref: MessageRef;
  text: string;
  /** The message this one answers, with its text when it is in the history. */
  replyTo: { ref: MessageRef; text: string | undefined } | undefined;
  /** Emoji → the accounts that reacted with it. */
  reactions: Map<string, Set<string>>;
  /** A disappearing-timer change (shown as a line, not a bubble): the new timer and who set it. */
  timer?: { seconds: number; by: string };
  /** When this message disappears, ms (its countdown runs). */
  expiresAt?: number;
}

const refKey = (ref: MessageRef): string => `${ref.author}\u0000${ref.timestamp}`;

/** Builds the bubbles of one conversation (history oldest first). */
export function conversationEntries(history: readonly (StoredMessage & { decoded: MessageContent })[], ownAccount: string): ChatEntry[] {
  const entries: ChatEntry[] = [];
  const byRef = new Map<string, ChatEntry>();
  const reactions: { author: string; emoji: string; target: MessageRef; remove: boolean }[] = [];
  for (const message of history) {
    const author = message.direction === 'out' ? ownAccount : message.sender.account;
    const content = message.decoded;
    if (content.reaction !== undefined) {
      reactions.push({ author, emoji: content.reaction.emoji, target: content.reaction.target, remove: content.reaction.remove === true });
      continue;
    }
    const ref = { author, timestamp: content.timestamp };
    if (content.expireTimer?.update === true) {
      entries.push({ id: message.id, mine: author === ownAccount, ref, text: '', replyTo: undefined, reactions: new Map(), timer: { seconds: content.expireTimer.seconds, by: author } });
      continue;
    }
    const replyTo = content.replyTo === undefined ? undefined : { ref: content.replyTo, text: byRef.get(refKey(content.replyTo))?.text };
    const entry: ChatEntry = { id: message.id, mine: author === ownAccount, ref, text: content.text ?? '', replyTo, reactions: new Map() };
    entries.push(entry);
    byRef.set(refKey(ref), entry);
  }
  // One reaction per author and message: the latest wins.
  const latest = new Map<string, { emoji: string; remove: boolean; author: string; target: string }>();
  for (const r of reactions) latest.set(`${r.author}\u0000${refKey(r.target)}`, { emoji: r.emoji, remove: r.remove, author: r.author, target: refKey(r.target) });
  for (const r of latest.values()) {
    const entry = byRef.get(r.target);
    if (entry === undefined || r.remove) continue;
    let who = entry.reactions.get(r.emoji);
    if (who === undefined) entry.reactions.set(r.emoji, (who = new Set()));
    who.add(r.author);
  }
  return entries;
}
