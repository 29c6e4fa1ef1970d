/**
 * The terminal chat's conversation commands (scripts/chat.ts):
 *
 *   /list              conversations, newest first, with unread counts and the last message
 *   /search WORDS      local full-text search (SQLite FTS5), best first, with snippets
 *   /history           the newest 10 messages with the peer (newest first); /more for older ones
 *   /read              mark the conversation read (sends a read receipt unless switched off; syncs own devices)
 *   /receipts on|off   switch read receipts (persisted)
 */
import type { MessageContent, SealpostClient } from '@sealpost/client';

const describe = (c: MessageContent): string =>
  c.text !== undefined && c.text !== '' ? c.text : c.reaction !== undefined ? `reacted ${c.reaction.emoji}` : c.attachments?.length ? `${c.attachments.length} attachment(s)` : '(no text)';

/** Runs a conversations command, or returns undefined when `text` is none. */
export class ChatConversations {
  #next: string | undefined;

  constructor(
    private readonly client: SealpostClient,
    /** Display name of an account or group conversation. */
    private readonly nameOf: (peer: string) => string,
  ) {}

  async run(text: string, peer: string | undefined): Promise<string[] | undefined> {
    const [command, ...rest] = text.split(/\s+/);
    const args = rest.join(' ');
    const c = this.client.conversations;
    switch (command) {
      case '/list': {
        const list = await c.list();
        if (list.length === 0) return ['no conversations yet'];
        return list.map((x) => `${this.nameOf(x.peer)}: ${x.unread} unread, last "${describe(x.lastMessage.decoded)}" (${new Date(x.lastActivity).toLocaleTimeString()})`);
      }
      case '/search': {
        if (args === '') return ['usage: /search WORDS'];
        const hits = await c.search(args, { limit: 10 });
        return hits.length === 0 ? [`no message matches "${args}"`] : hits.map((h) => `${this.nameOf(h.message.peer)}: ${h.snippet}`);
      }
      case '/history':
      case '/more': {
        if (peer === undefined) return ['no peer yet'];
        if (command === '/more' && this.#next === undefined) return ['no older messages'];
        const page = await c.history(peer, { limit: 10, ...(command === '/more' ? { before: this.#next! } : {}) });
        this.#next = page.next;
        const lines = page.messages.map((m) => `${m.direction === 'out' ? 'me' : this.nameOf(m.sender.account)}: ${describe(m.decoded)}`);
        return [...lines, page.next === undefined ? '(start of the conversation)' : '(/more for older messages)'];
      }
      case '/read': {
        if (peer === undefined) return ['no peer yet'];
        const read = await c.markRead(peer);
        return [`marked ${read.messages.length} message(s) read${(await c.readReceipts()) ? ' (read receipt sent)' : ' (read receipts are off)'}`];
      }
      case '/receipts': {
        if (args !== 'on' && args !== 'off') return [`read receipts are ${(await c.readReceipts()) ? 'on' : 'off'}; /receipts on|off`];
        await c.setReadReceipts(args === 'on');
        return [`read receipts ${args}`];
      }
      default:
        return undefined;
    }
  }
}
