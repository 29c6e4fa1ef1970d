/**
 * How a client gets its envelopes, per `SealpostClientOptions.receive`:
 * WebSocket push (default), polling on a timer, or only explicit `poll()`
 * calls ('manual'). Every envelope goes to one handler, which resolves once
 * the envelope may be acknowledged.
 */
import type { ClientEvents, SealpostClientOptions } from './client-types.ts';
import { pollOnce, WebSocketReceiver, type EnvelopeHandler } from './receiver.ts';
import type { CredentialProvider, RelayClient } from './relay-client.ts';
import type { PreKeyUpkeep } from './upkeep.ts';

/** Default polling interval in 'poll' mode, ms. */
export const DEFAULT_POLL_INTERVAL_MS = 1000;

/** The receiving machinery of one client. */
export class Reception {
  #receiver: WebSocketReceiver | undefined;
  #pollTimer: ReturnType<typeof setTimeout> | undefined;
  #polling: Promise<number> | undefined;

  constructor(
    private readonly relay: RelayClient,
    private readonly options: SealpostClientOptions,
    private readonly credential: CredentialProvider,
    private readonly handle: EnvelopeHandler,
    private readonly emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void,
    private readonly closed: () => boolean,
  ) {}

  /** Starts the upkeep timer (unless disabled) and receiving per the options. */
  start(upkeep: PreKeyUpkeep | undefined): void {
    if (this.options.upkeep?.automatic !== false) upkeep?.start((error) => this.emit('error', { error }));
    const mode = this.options.receive?.mode ?? 'websocket';
    if (mode === 'websocket') {
      this.#receiver ??= new WebSocketReceiver(this.relay, this.credential, this.handle, {
        backoff: this.options.receive?.backoff,
        WebSocket: this.options.WebSocket,
        onState: (state) => this.emit('connection', state),
        onError: (error) => this.emit('error', { error }),
      });
      this.#receiver.start();
    } else if (mode === 'poll') {
      const interval = this.options.receive?.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
      const tick = () => {
        void this.poll()
          .catch((error: unknown) => this.emit('error', { error }))
          .finally(() => {
            if (!this.closed() && this.#pollTimer !== undefined) this.#pollTimer = setTimeout(tick, interval);
          });
      };
      this.#pollTimer = setTimeout(tick, 0);
    }
  }

  /** Fetches and handles the whole queue once; concurrent calls share one run. */
  poll(): Promise<number> {
    this.#polling ??= pollOnce(this.relay, this.handle, (error) => this.emit('error', { error })).finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  /** Resolves when the WebSocket receiver has emptied the relay queue. */
  async drained(): Promise<void> {
    if (this.#receiver !== undefined) await this.#receiver.drained();
  }

  /** Stops receiving; resolves when in-flight handling finished. */
  async stop(): Promise<void> {
    if (this.#pollTimer !== undefined) clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    await this.#receiver?.stop();
    await this.#polling?.catch(() => 0);
  }
}
