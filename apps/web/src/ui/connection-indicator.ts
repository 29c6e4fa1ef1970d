/** The dot and word in the header that say whether messages can arrive now. */
import type { ConnectionState } from '../chat-session.ts';

const LABELS: Record<ConnectionState, string> = {
  idle: 'not started',
  connecting: 'connecting…',
  open: 'connected',
  closed: 'disconnected',
  waiting: 'reconnecting…',
  offline: 'offline',
  'other-tab': 'receiving in another tab',
};

/** Updates `element` (its `data-state` drives the colour). */
export function showConnection(element: HTMLElement, state: ConnectionState): void {
  element.dataset.state = state;
  element.textContent = LABELS[state];
  element.title = `Relay connection: ${LABELS[state]}`;
}
