/**
 * Getting envelopes from the relay: a WebSocket with reconnect and
 * exponential backoff, or polling. Either way each envelope is handed to
 * `handle` one at a time, in queue order, and acknowledged only after
 * `handle` resolved — i.e. after the plaintext is stored. An envelope whose
 * handling failed is not acknowledged; the relay sends it again later.
 */
import { browserWebSocket, platformHasBrowserWebSocket } from './browser-websocket.ts';
import { ClientError } from './errors.ts';
import { fromBase64 } from './http.ts';
import { networkErrorOf } from './network-errors.ts';
import type { CredentialProvider, QueuedEnvelope, RelayClient } from './relay-client.ts';

/** The part of a WebSocket the receiver uses (the `ws` package's, or any compatible one). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  /** `ws` has it; used when present to drop the connection at once. */
  terminate?(): void;
  addEventListener(type: 'open' | 'close', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'error', listener: (event: { message?: string; error?: unknown }) => void): void;
}

/** A WebSocket constructor that can send headers (the relay authenticates with `authorization`). */
export type WebSocketConstructor = new (url: string, options: { headers: Record<string, string> }) => WebSocketLike;

const OPEN = 1;

let defaultWebSocket: Promise<WebSocketConstructor> | undefined;

/**
 * The default WebSocket: in a browser the platform's (credential in the URL,
 * see `browser-websocket.ts`); in Node the `ws` package, imported on first
 * use only (the root entry never imports it statically).
 */
export function loadDefaultWebSocket(): Promise<WebSocketConstructor> {
  if (platformHasBrowserWebSocket()) return (defaultWebSocket ??= Promise.resolve(browserWebSocket()));
  const specifier = 'ws';
  defaultWebSocket ??= import(/* @vite-ignore */ specifier).then((m: { default: unknown }) => m.default as WebSocketConstructor);
  return defaultWebSocket;
}

/** Processes one envelope; resolve = safe to acknowledge. */
export type EnvelopeHandler = (envelope: QueuedEnvelope) => Promise<void>;

/** Reconnect backoff: `min(maxMs, initialMs * 2^attempt)`, with ±20% jitter. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** Default backoff: 250 ms doubling up to 30 s. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 30_000 };

/** Delay before reconnect attempt `attempt` (0-based). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Connection state changes, for apps that show them. */
export type ReceiverState = 'connecting' | 'open' | 'closed' | 'waiting';

/** Options of `WebSocketReceiver`. */
export interface WebSocketReceiverOptions {
  backoff?: BackoffPolicy;
  /** Called with each state change and the reconnect attempt number. */
  onState?: (state: ReceiverState, attempt: number) => void;
  /** Called with handler or connection errors (the receiver keeps going). */
  onError?: (error: unknown) => void;
  /** The WebSocket constructor (default: the browser's `WebSocket` outside Node, else the `ws` package, loaded lazily). */
  WebSocket?: WebSocketConstructor | undefined;
}

/** Push delivery over the relay's WebSocket. */
export class WebSocketReceiver {
  #socket: WebSocketLike | undefined;
  #stopped = true;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * Counts `start()` calls. A connect attempt, retry timer or socket of an
   * earlier start (e.g. the socket `stop()` closed, whose close event arrives
   * after a prompt restart) does nothing once a newer start began: without it
   * a stop + start opened a second socket, the relay closed the other (one
   * socket per device), and the two reconnect loops kept replacing each other.
   */
  #generation = 0;
  // Envelopes are handled strictly one after another.
  #chain: Promise<void> = Promise.resolve();
  readonly #backoff: BackoffPolicy;
  #drainedWaiters: (() => void)[] = [];
  #queueEmptySeen = false;
  #inFlight = 0;

  constructor(
    private readonly relay: RelayClient,
    private readonly credential: CredentialProvider,
    private readonly handle: EnvelopeHandler,
    private readonly options: WebSocketReceiverOptions = {},
  ) {
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /** Connects (and keeps reconnecting until `stop`). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#connect(++this.#generation);
  }

  /** Closes the socket and stops reconnecting; resolves when in-flight handling finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket?.terminate !== undefined) socket.terminate();
    else socket?.close();
    await this.#chain;
  }

  /** True while the socket is open. */
  get connected(): boolean {
    return this.#socket?.readyState === OPEN;
  }

  /** Resolves once the relay reported its queue empty and everything received so far is handled. */
  drained(): Promise<void> {
    if (this.#queueEmptySeen && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainedWaiters.push(resolve));
  }

  #state(state: ReceiverState): void {
    this.options.onState?.(state, this.#attempt);
  }

  async #connect(generation: number): Promise<void> {
    if (this.#stopped || generation !== this.#generation) return;
    this.#state('connecting');
    this.#queueEmptySeen = false;
    let token: string;
    let WebSocketImpl: WebSocketConstructor;
    let socketUrl: string;
    try {
      socketUrl = this.relay.websocketUrl();
      token = await this.credential();
      WebSocketImpl = this.options.WebSocket ?? (await loadDefaultWebSocket());
    } catch (e) {
      this.options.onError?.(e);
      this.#scheduleReconnect(generation);
      return;
    }
    if (this.#stopped || generation !== this.#generation) return;
    const socket = new WebSocketImpl(socketUrl, { headers: { authorization: `Bearer ${token}` } });
    this.#socket = socket;
    socket.addEventListener('open', () => {
      if (generation !== this.#generation) return;
      this.#attempt = 0;
      this.#state('open');
    });
    socket.addEventListener('message', (event) => this.#onFrame(socket, String(event.data)));
    socket.addEventListener('error', (e) =>
      this.options.onError?.(networkErrorOf(e.error ?? e, 'relay WebSocket', socketUrl, 0)),
    );
    socket.addEventListener('close', () => {
      if (generation !== this.#generation) return; // a socket of an earlier start
      if (this.#socket === socket) this.#socket = undefined;
      this.#state('closed');
      this.#scheduleReconnect(generation);
    });
  }

  #scheduleReconnect(generation: number): void {
    if (this.#stopped || generation !== this.#generation) return;
    const delay = backoffDelay(this.#backoff, this.#attempt++);
    this.#state('waiting');
    this.#retryTimer = setTimeout(() => void this.#connect(generation), delay);
    (this.#retryTimer as { unref?: () => void }).unref?.();
  }

  #onFrame(socket: WebSocketLike, text: string): void {
    let frame: { type?: unknown; id?: unknown; content?: unknown; receivedAt?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      this.options.onError?.(new ClientError('INVALID_DATA', 'relay sent a non-JSON frame'));
      return;
    }
    if (frame.type === 'queue-empty') {
      this.#queueEmptySeen = true;
      this.#maybeDrained();
      return;
    }
    if (frame.type !== 'envelope' || typeof frame.id !== 'string') return;
    let envelope: QueuedEnvelope;
    try {
      envelope = { id: frame.id, content: fromBase64('content', frame.content), receivedAt: Number(frame.receivedAt) };
    } catch (e) {
      this.options.onError?.(e);
      return;
    }
    this.#inFlight++;
    this.#chain = this.#chain.then(async () => {
      try {
        await this.handle(envelope);
        if (socket.readyState === OPEN) socket.send(JSON.stringify({ type: 'ack', id: envelope.id }));
      } catch (e) {
        // Not acknowledged: the relay redelivers it on the next connection.
        this.options.onError?.(e);
      } finally {
        this.#inFlight--;
        this.#maybeDrained();
      }
    });
  }

  #maybeDrained(): void {
    if (!this.#queueEmptySeen || this.#inFlight !== 0) return;
    const waiters = this.#drainedWaiters;
    this.#drainedWaiters = [];
    waiters.forEach((w) => w());
  }
}

/**
 * Polling delivery: fetches the queue until it is empty, handling and
 * acknowledging each envelope. Returns how many were handled; envelopes
 * whose handling failed are reported through `onError` and left queued.
 */
export async function pollOnce(relay: RelayClient, handle: EnvelopeHandler, onError: (e: unknown) => void = () => {}): Promise<number> {
  let handled = 0;
  const failed = new Set<string>();
  for (;;) {
    const { envelopes, more } = await relay.fetch();
    const fresh = envelopes.filter((e) => !failed.has(e.id));
    const acked: string[] = [];
    for (const e of fresh) {
      try {
        await handle(e);
        acked.push(e.id);
        handled++;
      } catch (err) {
        failed.add(e.id);
        onError(err);
      }
    }
    if (acked.length > 0) await relay.acknowledge(acked);
    if (!more || fresh.length === 0) return handled;
  }
}
