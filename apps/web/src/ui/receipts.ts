/**
 * Receipts and typing in the chat (issue 18, part receipts): ticks on our
 * own messages — ✓ sent (the relay took it), ✓✓ delivered (a recipient
 * device's delivery receipt came), ✓✓ in blue read (a read receipt came) —
 * and the "typing…" line under the conversation while the peer types
 * (a STARTED counts until its expiry unless refreshed or stopped).
 * Typing is sent from the composer: STARTED on input (the SDK coalesces
 * repeats, at most one per 3 s), STOPPED when the field empties, on send,
 * or after 5 s without a key press.
 */
import type { MessageRef } from '@sealpost/client/browser';
import type { ChatSession } from '../chat-session.ts';
import { h } from './dom.ts';

/** What the ticks say. */
export type TickState = 'sent' | 'delivered' | 'read';

const TICKS: Record<TickState, string> = { sent: '✓', delivered: '✓✓', read: '✓✓' };
const TITLES: Record<TickState, string> = { sent: 'Sent', delivered: 'Delivered', read: 'Read' };
/** The user stopped typing when nothing was typed this long, ms. */
const IDLE_MS = 5000;

/** The tick element of one of our messages; fills itself from the stored receipt status. */
export function receiptTicks(session: ChatSession, ref: MessageRef): HTMLElement {
  const ticks = h('span', { class: 'ticks', 'data-testid': 'ticks', 'data-state': 'sent', title: TITLES.sent }, TICKS.sent);
  void session.client.receipts.status(ref).then(
    (status) => {
      const state: TickState = status.readBy.length > 0 ? 'read' : status.deliveredTo.length > 0 ? 'delivered' : 'sent';
      ticks.dataset.state = state;
      ticks.title = TITLES[state];
      ticks.textContent = TICKS[state];
    },
    () => {},
  );
  return ticks;
}

/** The "typing…" line for the conversation with `account` (empty when nobody types). */
export function typingLine(session: ChatSession, account: string | undefined, name: string): HTMLElement {
  const typing = account !== undefined && session.client.receipts.typingNow(account).length > 0;
  return h('p', { class: 'typing', 'data-testid': 'typing', hidden: !typing, 'aria-live': 'polite' }, typing ? `${name} is typing…` : '');
}

/** Sends typing indicators for the composer `input` while it shows the conversation `current()`. */
export function sendTypingFrom(session: ChatSession, input: HTMLInputElement, current: () => string | undefined): { stopped(): void } {
  let idle: ReturnType<typeof setTimeout> | undefined;
  let typingTo: string | undefined;
  const stopped = () => {
    clearTimeout(idle);
    if (typingTo !== undefined) void session.typing(typingTo, 'stopped');
    typingTo = undefined;
  };
  input.addEventListener('input', () => {
    const to = current();
    if (to !== typingTo) stopped();
    if (to === undefined || input.value.trim().length === 0) return stopped();
    typingTo = to;
    void session.typing(to, 'started');
    clearTimeout(idle);
    idle = setTimeout(stopped, IDLE_MS);
  });
  return { stopped };
}
