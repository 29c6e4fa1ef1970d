/**
 * Getting envelopes from the relay: a WebSocket with reconnect and
 * exponential backoff, or polling. Either way each envelope is handed to
 * `handle` one at a time, in queue order, and acknowledged only after
 * `handle` resolved — i.e. after the plaintext is stored. An envelope whose
 * handling failed is not acknowledged; the relay sends it again later.
 */
import WebSocket from 'ws';
import { ClientError } from './errors.ts';
import { fromBase64 } from './http.ts';
import type { CredentialProvider, QueuedEnvelope, RelayClient } from './relay-client.ts';

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
}

/** Push delivery over the relay's WebSocket. */
export class WebSocketReceiver {
  #socket: WebSocket | undefined;
  #stopped = true;
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
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
    void this.#connect();
  }

  /** Closes the socket and stops reconnecting; resolves when in-flight handling finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#socket?.terminate();
    this.#socket = undefined;
    await this.#chain;
  }

  /** True while the socket is open. */
  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Resolves once the relay reported its queue empty and everything received so far is handled. */
  drained(): Promise<void> {
    if (this.#queueEmptySeen && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainedWaiters.push(resolve));
  }

  #state(state: ReceiverState): void {
    this.options.onState?.(state, this.#attempt);
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    this.#state('connecting');
    this.#queueEmptySeen = false;
    let token: string;
    try {
      token = await this.credential();
    } catch (e) {
      this.options.onError?.(e);
      this.#scheduleReconnect();
      return;
    }
    if (this.#stopped) return;
    const socket = new WebSocket(this.relay.websocketUrl(), { headers: { authorization: `Bearer ${token}` } });
    this.#socket = socket;
    socket.on('open', () => {
      this.#attempt = 0;
      this.#state('open');
    });
    socket.on('message', (data) => this.#onFrame(socket, String(data)));
    socket.on('error', (e) => this.options.onError?.(new ClientError('NETWORK_ERROR', `relay WebSocket: ${e.message}`, { cause: e })));
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      this.#state('closed');
      this.#scheduleReconnect();
    });
  }

  #scheduleReconnect(): void {
    if (this.#stopped) return;
    const delay = backoffDelay(this.#backoff, this.#attempt++);
    this.#state('waiting');
    this.#retryTimer = setTimeout(() => void this.#connect(), delay);
    this.#retryTimer.unref();
  }

  #onFrame(socket: WebSocket, text: string): void {
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
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'ack', id: envelope.id }));
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
