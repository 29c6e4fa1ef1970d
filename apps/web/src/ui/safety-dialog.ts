/**
 * The safety-number screen: the 60 digits both people compare (in person
 * or over another channel) and their QR code; "Mark as verified" trusts the
 * current key and clears an identity-change warning.
 */
import type { ChatSession } from '../chat-session.ts';
import { h, replaceChildren } from './dom.ts';
import { drawQr } from './qr.ts';

export async function openSafetyDialog(session: ChatSession, account: string, name: string): Promise<void> {
  const digits = h('pre', { class: 'safety-digits', 'data-testid': 'safety-digits' });
  const qr = h('canvas', { 'data-testid': 'safety-qr', 'aria-label': 'QR code of the safety number' });
  const status = h('p', { class: 'status', role: 'status' });
  const dialog = h('dialog', { class: 'safety', 'data-testid': 'safety-dialog' });
  const close = () => {
    dialog.close();
    dialog.remove();
  };
  const verify = h(
    'button',
    {
      type: 'button',
      'data-testid': 'safety-verify',
      onclick: () => session.markVerified(account).then(close, (e: unknown) => (status.textContent = e instanceof Error ? e.message : String(e))),
    },
    'Mark as verified',
  );
  replaceChildren(
    dialog,
    h('h2', {}, `Safety number with ${name}`),
    h('p', { class: 'hint' }, 'Compare these digits with the ones on their screen. If they match, nobody is in the middle.'),
    digits,
    qr,
    status,
    h('div', { class: 'actions' }, verify, h('button', { type: 'button', 'data-testid': 'safety-close', onclick: close }, 'Close')),
  );
  document.body.append(dialog);
  dialog.showModal();
  try {
    const number = await session.safetyNumber(account);
    digits.textContent = number.grouped.replace(/(\S+ \S+ \S+ \S+)\s*/g, '$1\n').trim();
    drawQr(qr, number.scannable);
  } catch (e) {
    digits.textContent = '';
    verify.disabled = true;
    status.textContent = `No safety number yet (exchange a message first): ${e instanceof Error ? e.message : String(e)}`;
  }
}
