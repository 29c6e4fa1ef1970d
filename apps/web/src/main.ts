/**
 * The page's start: read the deployment (config.json), open this
 * profile's store and client, then show registration or the chat.
 */
import { ChatSession } from './chat-session.ts';
import { loadPageConfig } from './page-config.ts';
import { openBrowserStore } from './store.ts';
import { chatView } from './ui/chat-view.ts';
import { h, replaceChildren } from './ui/dom.ts';
import { registerView } from './ui/register-view.ts';

const root = document.getElementById('app')!;

function fatal(e: unknown): void {
  replaceChildren(root, h('p', { class: 'problem', 'data-testid': 'fatal' }, `Sealpost could not start: ${e instanceof Error ? e.message : String(e)}`));
}

async function main(): Promise<void> {
  if (!globalThis.isSecureContext || globalThis.crypto?.subtle === undefined) {
    throw new Error('this page needs a secure context (https, or http://127.0.0.1 / localhost) for WebCrypto');
  }
  const session = await ChatSession.open(await loadPageConfig(), await openBrowserStore());
  addEventListener('pagehide', () => void session.close());
  const showChat = async () => {
    await session.start();
    replaceChildren(root, chatView(session));
  };
  if (session.registered) await showChat();
  else replaceChildren(root, registerView(session, () => void showChat().catch(fatal)));
}

main().catch(fatal);
