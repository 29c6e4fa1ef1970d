/**
 * The client's receiver opens `new WebSocket(url, { headers })` (the `ws`
 * package's signature). A browser WebSocket cannot send headers, so this
 * adapter moves the bearer credential into `?token=`, which the relay
 * accepts on the upgrade only, and returns the browser's own WebSocket (it
 * has everything `WebSocketLike` needs).
 */
import type { WebSocketConstructor, WebSocketLike } from '@sealpost/client';

function open(url: string, options: { headers: Record<string, string> }): WebSocketLike {
  const target = new URL(url);
  const bearer = /^Bearer (.+)$/.exec(options.headers.authorization ?? '');
  if (bearer?.[1] !== undefined) target.searchParams.set('token', bearer[1]);
  return new WebSocket(target);
}

/** `WebSocketConstructor` over the browser's WebSocket. */
export const BrowserWebSocket = function BrowserWebSocket(url: string, options: { headers: Record<string, string> }) {
  return open(url, options);
} as unknown as WebSocketConstructor;
