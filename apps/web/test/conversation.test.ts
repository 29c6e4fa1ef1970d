/** The page's view of a history: bubbles with their reply targets, reactions folded onto their messages. */
import { describe, expect, it } from 'vitest';
import type { MessageContent, StoredMessage } from '@sealpost/client';
import { conversationEntries } from '../src/conversation.ts';

const ME = 'aaaaaaaa-0000-4000-8000-000000000001';
const BOB = 'bbbbbbbb-0000-4000-8000-000000000002';
let id = 0;

function message(from: string, content: Omit<MessageContent, 'version'>): StoredMessage & { decoded: MessageContent } {
  id++;
  return {
    id,
    direction: from === ME ? 'out' : 'in',
    peer: BOB,
    sender: { account: from, device: 1 },
    timestamp: content.timestamp,
    content: new Uint8Array(),
    envelopeId: from === ME ? undefined : `env-${id}`,
    storedAt: content.timestamp,
    delivered: true,
    decoded: { version: 1, ...content },
  };
}

describe('conversationEntries', () => {
  it('keeps text messages in order, marks ours, and quotes the message a reply answers', () => {
    const entries = conversationEntries(
      [
        message(ME, { timestamp: 1, text: 'hello' }),
        message(BOB, { timestamp: 2, text: 'hi', replyTo: { author: ME, timestamp: 1 } }),
        message(BOB, { timestamp: 3, text: 'about something older', replyTo: { author: ME, timestamp: 0 } }),
      ],
      ME,
    );
    expect(entries.map((e) => [e.text, e.mine])).toEqual([['hello', true], ['hi', false], ['about something older', false]]);
    expect(entries[1]!.replyTo).toEqual({ ref: { author: ME, timestamp: 1 }, text: 'hello' });
    // A reply to a message not in the history has its reference but no text.
    expect(entries[2]!.replyTo).toEqual({ ref: { author: ME, timestamp: 0 }, text: undefined });
    expect(entries[0]!.ref).toEqual({ author: ME, timestamp: 1 });
  });

  it('folds reactions onto their target: one per author, the latest wins, a removal clears it', () => {
    const target = { author: ME, timestamp: 10 };
    const entries = conversationEntries(
      [
        message(ME, { timestamp: 10, text: 'react to me' }),
        message(BOB, { timestamp: 11, reaction: { emoji: '👍', target } }),
        message(BOB, { timestamp: 12, reaction: { emoji: '❤️', target } }),
        message(ME, { timestamp: 13, reaction: { emoji: '❤️', target } }),
        message(ME, { timestamp: 14, reaction: { emoji: '😂', target: { author: BOB, timestamp: 999 } } }),
      ],
      ME,
    );
    expect(entries).toHaveLength(1);
    expect([...entries[0]!.reactions]).toEqual([['❤️', new Set([BOB, ME])]]);
    const removed = conversationEntries(
      [message(ME, { timestamp: 10, text: 'react to me' }), message(BOB, { timestamp: 11, reaction: { emoji: '👍', target } }), message(BOB, { timestamp: 12, reaction: { emoji: '👍', target, remove: true } })],
      ME,
    );
    expect(removed[0]!.reactions.size).toBe(0);
  });
});
