/**
 * `@sealpost/client/browser`: the SDK for browsers — everything the root
 * entry has, plus the IndexedDB store (`openBrowserStore`, Web Locks across
 * tabs, optional at-rest encryption with a WebCrypto AES-GCM key) and the
 * platform WebSocket adapter. Bundle it with the protocol's web primitives
 * (the `browser` condition); it imports no Node built-in.
 */
export * from './index.ts';
export { openBrowserStore, deleteBrowserStore, requestPersistentStorage, BrowserStore, BROWSER_STORE_FORMAT, type BrowserStoreOptions } from './store/browser/open.ts';
export { KvStore } from './store/kv/store.ts';
export { browserWebSocket } from './browser-websocket.ts';
