/** The first screen: pick a display name and create this browser's account. */
import type { ChatSession } from '../chat-session.ts';
import { h } from './dom.ts';

export function registerView(session: ChatSession, done: () => void): HTMLElement {
  const name = h('input', { 'data-testid': 'register-name', placeholder: 'Your name', maxlength: 40, required: true, autocomplete: 'off' });
  const status = h('p', { class: 'status', role: 'status' });
  const button = h('button', { type: 'submit', 'data-testid': 'register' }, 'Create account');
  const form = h(
    'form',
    {
      class: 'register',
      onsubmit: (event) => {
        event.preventDefault();
        button.disabled = true;
        status.textContent = 'Creating keys and registering…';
        session.register(name.value.trim() || 'Me').then(done, (e: unknown) => {
          status.textContent = `Registration failed: ${e instanceof Error ? e.message : String(e)}`;
          button.disabled = false;
        });
      },
    },
    h('h1', {}, 'Sealpost'),
    h('p', {}, 'End-to-end encrypted chat. Your keys are made and kept in this browser.'),
    h('label', {}, 'Name ', name),
    button,
    status,
  );
  return form;
}
