/**
 * The conversation list (issue 18): every conversation, newest first, with
 * its unread count as a badge and its last message; a search box over the
 * local history (the browser store's token index: word prefixes, any case
 * and accent); opening a conversation — or a message arriving in the one
 * open while the page is visible — marks it read, which sends the peer a
 * read receipt (unless switched off with the checkbox) and syncs this
 * account's other devices.
 */
import type { ChatSession } from '../chat-session.ts';
import { shortId } from '../chat-session.ts';
import { h, replaceChildren } from './dom.ts';

export interface ConversationsPanel {
  element: HTMLElement;
  /** Redraws the list (`selected` highlighted) and marks `selected` read when the page is visible. */
  refresh(selected: string | undefined): Promise<void>;
}

export function conversationsPanel(session: ChatSession, select: (account: string) => void): ConversationsPanel {
  const nameOf = (peer: string) => session.contacts.find((c) => c.account === peer)?.name ?? shortId(peer);
  const list = h('ul', { class: 'conversation-list', 'data-testid': 'conversation-list' });
  const results = h('ul', { class: 'search-results', 'data-testid': 'search-results', hidden: true });
  const query = h('input', { type: 'search', 'data-testid': 'search', placeholder: 'Search messages', autocomplete: 'off', maxlength: 200 });
  let generation = 0;
  const runSearch = async () => {
    const mine = ++generation;
    const q = query.value.trim();
    if (q === '') {
      results.hidden = true;
      return;
    }
    const hits = await session.search(q);
    if (mine !== generation) return;
    results.hidden = false;
    replaceChildren(
      results,
      ...hits.map((hit) =>
        h(
          'li',
          {},
          h('button', { type: 'button', class: 'search-hit', 'data-testid': 'search-hit', 'data-account': hit.message.peer, onclick: () => select(hit.message.peer) }, h('strong', {}, `${nameOf(hit.message.peer)}: `), hit.snippet),
        ),
      ),
    );
    if (hits.length === 0) results.append(h('li', { class: 'hint', 'data-testid': 'search-empty' }, 'No message matches.'));
  };
  const form = h(
    'form',
    {
      class: 'search',
      role: 'search',
      onsubmit: (event) => {
        event.preventDefault();
        void runSearch();
      },
    },
    query,
  );
  query.addEventListener('input', () => void runSearch());
  const receipts = h('input', { type: 'checkbox', 'data-testid': 'read-receipts', disabled: true, onchange: () => void session.setReadReceipts(receipts.checked) });
  void session.readReceipts().then((on) => {
    receipts.checked = on;
    receipts.disabled = false;
  });
  const element = h(
    'section',
    { class: 'conversations', 'data-testid': 'conversations' },
    h('h2', {}, 'Conversations'),
    form,
    results,
    list,
    h('label', { class: 'read-receipts', title: 'When off, people you talk to do not see when you read their messages' }, receipts, ' Send read receipts'),
  );
  let drawing = 0;
  return {
    element,
    async refresh(selected) {
      if (selected !== undefined && document.visibilityState === 'visible') await session.markRead(selected).catch(() => {});
      const mine = ++drawing;
      const conversations = await session.conversations();
      if (mine !== drawing) return;
      replaceChildren(
        list,
        ...conversations.map((c) =>
          h(
            'li',
            {},
            h(
              'button',
              { type: 'button', class: c.peer === selected ? 'conversation-item selected' : 'conversation-item', 'data-testid': 'conversation', 'data-account': c.peer, 'data-unread': c.unread, onclick: () => select(c.peer) },
              h('span', { class: 'conversation-name' }, nameOf(c.peer)),
              c.unread > 0 && h('span', { class: 'unread', 'data-testid': 'unread-badge', title: `${c.unread} unread` }, String(c.unread)),
              h('small', { class: 'last-message' }, c.lastMessage.decoded.text ?? (c.lastMessage.decoded.reaction === undefined ? '' : `reacted ${c.lastMessage.decoded.reaction.emoji}`)),
            ),
          ),
        ),
      );
      if (conversations.length === 0) list.append(h('li', { class: 'hint' }, 'No conversations yet.'));
    },
  };
}
