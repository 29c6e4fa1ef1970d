/**
 * The sidebar: this user's contact card (text to copy and its QR code), a
 * form to add someone from the card they shared, and the contact list.
 */
import { shortId, type ChatSession } from '../chat-session.ts';
import { h, replaceChildren } from './dom.ts';
import { drawQr } from './qr.ts';

export interface ContactsPanel {
  element: HTMLElement;
  /** Redraws the list (`selected` highlighted). */
  refresh(selected: string | undefined): void;
}

export function contactsPanel(session: ChatSession, select: (account: string) => void): ContactsPanel {
  const card = session.cardText();
  const cardText = h('textarea', { 'data-testid': 'my-card', readonly: true, rows: 3, spellcheck: 'false' });
  cardText.value = card;
  const qr = h('canvas', { 'data-testid': 'my-card-qr', 'aria-label': 'QR code of your contact card' });
  drawQr(qr, card);
  const copy = h(
    'button',
    {
      type: 'button',
      onclick: () => {
        cardText.select();
        void navigator.clipboard?.writeText(card).catch(() => {});
      },
    },
    'Copy',
  );

  const name = h('input', { 'data-testid': 'contact-name', placeholder: 'Their name', maxlength: 40, autocomplete: 'off' });
  const pasted = h('textarea', { 'data-testid': 'contact-card', placeholder: 'Paste their contact card', rows: 3, spellcheck: 'false' });
  const status = h('p', { class: 'status', 'data-testid': 'add-contact-status', role: 'status' });
  const add = h('button', { type: 'submit', 'data-testid': 'add-contact' }, 'Add contact');
  const form = h(
    'form',
    {
      class: 'add-contact',
      onsubmit: (event) => {
        event.preventDefault();
        add.disabled = true;
        session.addContact(name.value, pasted.value).then(
          (account) => {
            name.value = '';
            pasted.value = '';
            status.textContent = '';
            select(account);
          },
          (e: unknown) => (status.textContent = e instanceof Error ? e.message : String(e)),
        ).finally(() => (add.disabled = false));
      },
    },
    h('h2', {}, 'Add a contact'),
    name,
    pasted,
    add,
    status,
  );

  const list = h('ul', { class: 'contacts', 'data-testid': 'contacts' });
  const element = h(
    'aside',
    { class: 'sidebar' },
    h('section', { class: 'my-card' }, h('h2', {}, 'Your contact card'), h('p', { class: 'hint' }, 'Show the QR code or send the text to people who should be able to write to you.'), qr, cardText, copy),
    form,
    h('section', {}, h('h2', {}, 'Contacts'), list),
  );
  return {
    element,
    refresh(selected) {
      replaceChildren(
        list,
        ...session.contacts.map((c) =>
          h(
            'li',
            {},
            h(
              'button',
              { type: 'button', 'data-testid': 'contact', 'data-account': c.account, class: c.account === selected ? 'contact selected' : 'contact', onclick: () => select(c.account) },
              c.name,
              h('small', {}, ` ${shortId(c.account)}`),
              session.identityWarning(c.account) ? h('span', { class: 'badge', title: 'safety number changed' }, '!') : undefined,
            ),
          ),
        ),
      );
      if (session.contacts.length === 0) list.append(h('li', { class: 'hint' }, 'No contacts yet.'));
    },
  };
}
