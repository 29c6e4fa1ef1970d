/** The main screen: header (name, connection), contacts sidebar, conversation. */
import { shortId, type ChatSession } from '../chat-session.ts';
import { showConnection } from './connection-indicator.ts';
import { contactsPanel } from './contacts-panel.ts';
import { conversationPane } from './conversation-pane.ts';
import { conversationsPanel } from './conversations.ts';
import { h } from './dom.ts';

export function chatView(session: ChatSession): HTMLElement {
  let selected: string | undefined;
  const connection = h('span', { class: 'connection', 'data-testid': 'connection', role: 'status' });
  const problem = h('p', { class: 'problem', 'data-testid': 'problem', role: 'alert' });
  const pane = conversationPane(session);
  const contacts = contactsPanel(session, (account) => {
    selected = account;
    refresh();
  });
  const conversations = conversationsPanel(session, (account) => {
    selected = account;
    refresh();
  });
  const refresh = () => {
    showConnection(connection, session.connection);
    problem.textContent = session.problem ?? '';
    problem.hidden = session.problem === undefined;
    if (selected === undefined && session.contacts.length > 0) selected = session.contacts[0]!.account;
    contacts.refresh(selected);
    void pane.refresh(selected);
    void conversations.refresh(selected);
  };
  session.onChange(refresh);
  refresh();
  return h(
    'div',
    { class: 'chat' },
    h(
      'header',
      { class: 'top' },
      h('h1', {}, 'Sealpost'),
      h('span', { class: 'me', 'data-testid': 'me', 'data-account': session.client.address.account }, `${session.name} · ${shortId(session.client.address.account)}`),
      connection,
    ),
    problem,
    h('div', { class: 'columns' }, contacts.element, conversations.element, pane.element),
  );
}
