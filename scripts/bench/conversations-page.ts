/** Page script of conversations-browser.ts: a KvStore on IndexedDB in Chromium, filled and measured in the page. */
import { IndexedDbBackend } from '../../packages/client/src/store/browser/indexeddb-backend.ts';
import { KvStore } from '../../packages/client/src/store/kv/store.ts';
import { measureConversations, type ConversationFigures } from './conversations-core.ts';

const bench = {
  async run(n: number): Promise<ConversationFigures> {
    const store = new KvStore(await IndexedDbBackend.open({ name: `conversations-bench-${n}` }));
    try {
      return await measureConversations(store, n);
    } finally {
      await store.close();
    }
  },
};

declare global {
  interface Window {
    conversationsBench: typeof bench;
    sealpostReady: boolean;
  }
}

window.conversationsBench = bench;
window.sealpostReady = true;
