/**
 * The conversation with the selected contact: the identity-change warning,
 * the messages (each with the one it replies to, its reactions, and reply /
 * react buttons), and the composer.
 */
import type { MessageRef } from '@sealpost/client/browser';
import type { ChatSession } from '../chat-session.ts';
import type { ChatEntry } from '../conversation.ts';
import { h, replaceChildren } from './dom.ts';
import { openSafetyDialog } from './safety-dialog.ts';
import { receiptTicks, sendTypingFrom, typingLine } from './receipts.ts';
import { decorateEdits, loadEditMarks, type EditMark } from './edits.ts';
import { hourglass, tickCountdowns, timerChangeLine, timerControl } from './disappearing.ts';
import { KT_STATUS_TEXT } from '../kt-status.ts';

/** The reactions offered on every message. */
export const REACTIONS = ['👍', '❤️', '😂'] as const;

export interface ConversationPane {
  element: HTMLElement;
  /** Shows `account`'s conversation (undefined: none selected) from the store. */
  refresh(account: string | undefined): Promise<void>;
}

export function conversationPane(session: ChatSession): ConversationPane {
  let account: string | undefined;
  let replyTo: { ref: MessageRef; text: string } | undefined;
  let generation = 0;

  const title = h('h2', { 'data-testid': 'conversation-title' });
  const safety = h('button', { type: 'button', 'data-testid': 'safety-open', onclick: () => account !== undefined && void openSafetyDialog(session, account, nameOf(account)) }, 'Safety number');
  const warning = h('div', { class: 'identity-warning', 'data-testid': 'identity-warning', hidden: true });
  const ktStatus = h('span', { class: 'kt-status', 'data-testid': 'kt-status', hidden: true });
  const messages = h('ol', { class: 'messages', 'data-testid': 'messages', 'aria-live': 'polite' });
  const replyPreview = h('div', { class: 'reply-preview', 'data-testid': 'reply-preview', hidden: true });
  const input = h('input', { 'data-testid': 'compose', placeholder: 'Message', autocomplete: 'off', maxlength: 4000 });
  const send = h('button', { type: 'submit', 'data-testid': 'send' }, 'Send');
  const composer = h(
    'form',
    {
      class: 'composer',
      onsubmit: (event) => {
        event.preventDefault();
        const text = input.value.trim();
        if (account === undefined || text.length === 0) return;
        const target = replyTo?.ref;
        typing.stopped();
        input.value = '';
        setReply(undefined);
        // The field stays usable: messages typed quickly are queued and go out in order (ChatSession).
        void session.send(account, text, target).catch(() => {});
      },
    },
    replyPreview,
    input,
    send,
  );
  const typing = sendTypingFrom(session, input, () => account);
  const typingSlot = h('div', { class: 'typing-slot' });
  const timer = timerControl((seconds) => account !== undefined && void session.setDisappearingTimer(account, seconds).catch(() => {}));
  const element = h('main', { class: 'conversation' }, h('header', {}, title, ktStatus, timer.element, safety), warning, messages, typingSlot, composer);
  tickCountdowns(messages);

  function nameOf(a: string): string {
    return session.contacts.find((c) => c.account === a)?.name ?? a;
  }

  function setReply(entry: { ref: MessageRef; text: string } | undefined): void {
    replyTo = entry;
    replyPreview.hidden = entry === undefined;
    if (entry !== undefined) {
      replaceChildren(replyPreview, h('span', {}, 'Replying to: '), h('q', {}, entry.text), h('button', { type: 'button', 'data-testid': 'reply-cancel', onclick: () => setReply(undefined) }, '×'));
      input.focus();
    }
  }

  function bubble(entry: ChatEntry, peer: string, mark: EditMark | undefined): HTMLElement {
    if (entry.timer !== undefined) return timerChangeLine(entry.timer.seconds, nameOrYou(entry.timer.by));
    const reactions = [...entry.reactions].map(([emoji, who]) => h('span', { class: 'reaction', title: [...who].map(nameOrYou).join(', ') }, `${emoji} ${who.size}`));
    const li = h(
      'li',
      { class: entry.mine ? 'message mine' : 'message', 'data-testid': 'message', 'data-mine': entry.mine ? 'true' : 'false' },
      entry.replyTo !== undefined && h('blockquote', { class: 'reply-quote', 'data-testid': 'reply-quote' }, entry.replyTo.text ?? '(an earlier message)'),
      h('p', { 'data-testid': 'message-text' }, entry.text),
      hourglass(entry.expiresAt),
      h('div', { class: 'reactions', 'data-testid': 'reactions' }, ...reactions),
      entry.mine && receiptTicks(session, entry.ref),
      h(
        'div',
        { class: 'message-actions' },
        h('button', { type: 'button', 'data-testid': 'reply', title: 'Reply', onclick: () => setReply({ ref: entry.ref, text: entry.text }) }, '↩'),
        ...REACTIONS.map((emoji) => {
          const mine = entry.reactions.get(emoji)?.has(session.client.address.account) === true;
          return h(
            'button',
            { type: 'button', 'data-testid': 'react', 'data-emoji': emoji, class: mine ? 'react on' : 'react', title: mine ? 'Remove reaction' : 'React', onclick: () => void session.react(peer, entry.ref, emoji, mine).catch(() => {}) },
            emoji,
          );
        }),
      ),
    );
    decorateEdits(li, entry, mark, session, peer);
    return li;
  }

  function nameOrYou(a: string): string {
    return a === session.client.address.account ? 'you' : nameOf(a);
  }

  return {
    element,
    async refresh(selected) {
      const mine = ++generation;
      if (selected !== account) setReply(undefined);
      account = selected;
      element.hidden = selected === undefined;
      if (selected === undefined) return;
      const [entries, marks] = await Promise.all([session.conversation(selected), loadEditMarks(session, selected)]);
      const seconds = await session.disappearingTimer(selected);
      if (mine !== generation) return; // a newer refresh is under way
      timer.show(seconds);
      title.textContent = nameOf(selected);
      const kt = session.ktStatus(selected);
      ktStatus.dataset.state = kt;
      ktStatus.hidden = kt === 'off';
      ktStatus.textContent = KT_STATUS_TEXT[kt].label;
      ktStatus.title = KT_STATUS_TEXT[kt].title;
      warning.hidden = !session.identityWarning(selected);
      replaceChildren(
        warning,
        h('strong', {}, `${nameOf(selected)}'s safety number changed.`),
        ' They may have reinstalled Sealpost — or someone may be intercepting. Compare safety numbers before you trust this conversation. ',
        h('button', { type: 'button', 'data-testid': 'identity-warning-check', onclick: () => void openSafetyDialog(session, selected, nameOf(selected)) }, 'Check safety number'),
      );
      const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
      replaceChildren(messages, ...entries.map((e) => bubble(e, selected, marks.get(e.id))));
      replaceChildren(typingSlot, typingLine(session, selected, nameOf(selected)));
      if (entries.length === 0) messages.append(h('li', { class: 'hint' }, 'No messages yet. Say hello!'));
      if (atBottom) messages.scrollTop = messages.scrollHeight;
    },
  };
}
