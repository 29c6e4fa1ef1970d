/**
 * A relay device that stays connected: a WebSocket to one of several relay
 * instances which, when its connection drops (the instance was killed,
 * restarted, or closed it), reconnects to the next instance in the list and
 * keeps trying, one every `retryMs`, until one takes it. Every envelope is
 * acknowledged (in one frame per burst: after 50 envelopes or when the
 * burst ends) and reported with its arrival time, so tests and
 * benchmarks can count losses, duplicates and delivery latency across
 * instance failures.
 */
import WebSocket from 'ws';

/** One pushed envelope as the receiver saw it. */
export interface ArrivedEnvelope {
  id: string;
  content: Uint8Array;
  /** `performance.now()` at arrival. */
  at: number;
  /** Index (in `urls`) of the instance it came through. */
  instance: number;
}

/** Options of a `RoamingReceiver`. */
export interface RoamingReceiverOptions {
  /** Base URLs (http://…) of the relay instances, in the order to try them. */
  urls: string[];
  /** The device's relay credential (every instance accepts it: they share the audience). */
  credential: string;
  /** Index of the instance to connect to first (default 0). */
  first?: number;
  /** Delay between connection attempts, ms (default 50). */
  retryMs?: number;
  onEnvelope?: (e: ArrivedEnvelope) => void;
}

/** A device's self-reconnecting WebSocket across relay instances. */
export class RoamingReceiver {
  /** Envelopes in arrival order. */
  readonly arrived: ArrivedEnvelope[] = [];
  /** Connections made (the first included). */
  connects = 0;
  /** Close codes of connections that ended (not by `close`). */
  readonly closes: number[] = [];
  private ws: WebSocket | undefined;
  /** Sends the acknowledgements not yet sent on the current connection. */
  private flushAcks: () => void = () => undefined;
  private current: number;
  private stopped = false;
  private readonly waiters = new Set<() => void>();
  /** Whether the current connection has said its queue was empty. */
  queueEmpty = false;

  private constructor(private readonly options: RoamingReceiverOptions) {
    this.current = options.first ?? 0;
  }

  /** Connects (to `first`, then the others in turn until one takes it). */
  static async open(options: RoamingReceiverOptions): Promise<RoamingReceiver> {
    const r = new RoamingReceiver(options);
    await r.connect();
    return r;
  }

  /** Index of the instance the receiver is on (or trying). */
  get instance(): number {
    return this.current;
  }

  /** True while a connection is open. */
  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  private async connect(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.attempt(this.current);
        return;
      } catch {
        this.current = (this.current + 1) % this.options.urls.length;
        await new Promise((r) => setTimeout(r, this.options.retryMs ?? 50));
      }
    }
  }

  private attempt(index: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const url = `${this.options.urls[index]!.replace(/^http/, 'ws')}/v1/websocket`;
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.options.credential}` } });
      let opened = false;
      ws.once('open', () => {
        opened = true;
        this.ws = ws;
        this.flushAcks = flush;
        this.queueEmpty = false;
        this.connects++;
        this.notify();
        resolve();
      });
      ws.on('error', (e) => {
        if (!opened) reject(e);
      });
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        reject(new Error(`websocket refused: ${res.statusCode}`));
      });
      let unacked: string[] = [];
      let flushScheduled = false;
      const flush = (): void => {
        flushScheduled = false;
        if (unacked.length === 0 || ws.readyState !== WebSocket.OPEN) return;
        ws.send(JSON.stringify({ type: 'ack', ids: unacked }));
        unacked = [];
      };
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; id?: string; content?: string };
        if (frame.type === 'envelope') {
          const e: ArrivedEnvelope = { id: frame.id!, content: new Uint8Array(Buffer.from(frame.content!, 'base64')), at: performance.now(), instance: index };
          this.arrived.push(e);
          unacked.push(e.id);
          if (unacked.length >= 50) flush();
          else if (!flushScheduled) {
            flushScheduled = true;
            setImmediate(flush);
          }
          this.options.onEnvelope?.(e);
        } else if (frame.type === 'queue-empty') {
          this.queueEmpty = true;
        }
        this.notify();
      });
      ws.once('close', (code) => {
        if (!opened) return;
        if (this.ws === ws) this.ws = undefined;
        if (this.stopped) return;
        this.closes.push(code);
        // The instance went away (or closed us): the next one in the list.
        this.current = (index + 1) % this.options.urls.length;
        void this.connect();
      });
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves once `predicate` holds (checked after every frame and connection), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting (have ${this.arrived.length} envelopes, ${this.connects} connections)`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Closes for good (no reconnect), after sending the acknowledgements still pending. */
  close(): Promise<void> {
    this.stopped = true;
    this.flushAcks();
    const ws = this.ws;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once('close', () => resolve());
      ws.close();
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000).unref();
    });
  }
}
