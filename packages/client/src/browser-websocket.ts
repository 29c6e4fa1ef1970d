/**
 * The relay's WebSocket from a browser. A browser `WebSocket` cannot send an
 * `authorization` header, so the bearer credential goes in the upgrade URL's
 * `token` query parameter, which the relay accepts on WebSocket upgrades only
 * (the credential is short-lived and audience-bound either way).
 */
import type { WebSocketConstructor, WebSocketLike } from './receiver.ts';

type BrowserWebSocketClass = new (url: string) => WebSocketLike;

/** A `WebSocketConstructor` over the platform's `WebSocket` (default: `globalThis.WebSocket`). */
export function browserWebSocket(Impl?: BrowserWebSocketClass): WebSocketConstructor {
  const found = Impl ?? (globalThis as { WebSocket?: BrowserWebSocketClass }).WebSocket;
  if (found === undefined) throw new TypeError('this platform has no WebSocket');
  const Socket: BrowserWebSocketClass = found;
  return class {
    constructor(url: string, options: { headers: Record<string, string> }) {
      const u = new URL(url);
      const bearer = /^Bearer (.+)$/.exec(options.headers.authorization ?? '');
      if (bearer !== null) u.searchParams.set('token', bearer[1]!);
      return new Socket(u.toString());
    }
  } as unknown as WebSocketConstructor;
}

/** True outside Node (a browser or a worker), where `globalThis.WebSocket` is the one to use. */
export function platformHasBrowserWebSocket(): boolean {
  const g = globalThis as { WebSocket?: unknown; process?: { versions?: { node?: string } } };
  return typeof g.WebSocket === 'function' && typeof g.process?.versions?.node !== 'string';
}
