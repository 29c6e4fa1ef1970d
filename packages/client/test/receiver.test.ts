/** The WebSocket receiver with an injected WebSocket constructor (what a browser or custom transport supplies). */
import { describe, expect, it } from 'vitest';
import { WebSocketReceiver, type WebSocketLike } from '../src/receiver.ts';
import { RelayClient, type QueuedEnvelope } from '../src/relay-client.ts';

class FakeSocket implements WebSocketLike {
  static last: FakeSocket | undefined;
  readyState = 0;
  readonly sent: string[] = [];
  readonly listeners = new Map<string, ((event: never) => void)[]>();
  constructor(
    readonly url: string,
    readonly options: { headers: Record<string, string> },
  ) {
    FakeSocket.last = this;
  }
  addEventListener(type: string, listener: (event: never) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  fire(type: string, event: unknown = {}): void {
    for (const l of this.listeners.get(type) ?? []) l(event as never);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
    this.fire('close');
  }
}

describe('WebSocketReceiver', () => {
  it('connects through the injected constructor with the bearer token, hands frames over and acknowledges after handling', async () => {
    const relay = new RelayClient('https://relay.example', async () => 'token-1');
    const handled: QueuedEnvelope[] = [];
    const states: string[] = [];
    const receiver = new WebSocketReceiver(relay, async () => 'token-1', async (e) => void handled.push(e), {
      WebSocket: FakeSocket,
      onState: (s) => states.push(s),
    });
    receiver.start();
    for (let i = 0; i < 50 && FakeSocket.last === undefined; i++) await new Promise((r) => setTimeout(r, 1));
    const socket = FakeSocket.last!;
    expect(socket.url).toBe('wss://relay.example/v1/websocket');
    expect(socket.options.headers).toEqual({ authorization: 'Bearer token-1' });
    socket.readyState = 1;
    socket.fire('open');
    socket.fire('message', { data: JSON.stringify({ type: 'envelope', id: 'e1', content: 'AQID', receivedAt: 5 }) });
    socket.fire('message', { data: JSON.stringify({ type: 'queue-empty' }) });
    await receiver.drained();
    expect(handled).toEqual([{ id: 'e1', content: Uint8Array.of(1, 2, 3), receivedAt: 5 }]);
    expect(socket.sent).toEqual([JSON.stringify({ type: 'ack', id: 'e1' })]);
    expect(receiver.connected).toBe(true);
    await receiver.stop();
    expect(states).toEqual(['connecting', 'open', 'closed']);
  });

  it('a stop and an immediate start open exactly one new socket, whenever the old one reports its close', async () => {
    const made: LateCloseSocket[] = [];
    class LateCloseSocket extends FakeSocket {
      constructor(url: string, options: { headers: Record<string, string> }) {
        super(url, options);
        made.push(this);
      }
      // A browser reports the close of a socket it was asked to close later, as an event.
      override close(): void {
        this.readyState = 3;
        setTimeout(() => this.fire('close'), 5);
      }
    }
    const relay = new RelayClient('https://relay.example', async () => 'token-1');
    const states: string[] = [];
    const receiver = new WebSocketReceiver(relay, async () => 'token-1', async () => {}, { WebSocket: LateCloseSocket, onState: (s) => states.push(s), backoff: { initialMs: 1, maxMs: 1 } });
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 1));
      expect(ok()).toBe(true);
    };
    receiver.start();
    await until(() => made.length === 1);
    made[0]!.readyState = 1;
    made[0]!.fire('open');
    await receiver.stop();
    receiver.start(); // e.g. the page came back online: reconnect at once
    await until(() => made.length === 2);
    made[1]!.readyState = 1;
    made[1]!.fire('open');
    states.length = 0;
    // The first socket's close arrives now: it must not start another connection or change the state.
    await new Promise((r) => setTimeout(r, 40));
    expect(made).toHaveLength(2);
    expect(states).toEqual([]);
    expect(receiver.connected).toBe(true);
    await receiver.stop();
  });
});
