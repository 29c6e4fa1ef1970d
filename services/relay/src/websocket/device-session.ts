/**
 * One open WebSocket of one device: pushes its queue within a window bounded
 * in envelopes AND bytes, never writes while the socket has more than
 * `wsMaxBufferedBytes` buffered (backpressure: pushing resumes on the
 * socket's `drain`), and checks every client frame (schema, rate) before
 * acting on it. Nothing a client sends can throw out of here: a violation
 * closes this connection with a close code, and only this one.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { encodeBase64 } from '@sealpost/service-kit';
import type { AuthenticatedDevice } from '../auth.ts';
import type { RelayContext } from '../context.ts';
import type { DeliveryListener } from '../delivery-hub.ts';
import { TokenBucket } from '../limits/token-bucket.ts';
import type { PendingEnvelope, QueuedEnvelope } from '../store/index.ts';
import type { DecodedFrame } from './client-frames.ts';

/** How long a closed-for-cause peer gets to finish the close handshake before its socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

interface RawSocket {
  cork(): void;
  uncork(): void;
  on(event: 'drain', listener: () => void): void;
  readonly writableNeedDrain: boolean;
}

/** One connection: what it has in flight, and the pump that fills the window. */
export class DeviceSession implements DeliveryListener {
  private lastSeq = 0;
  /** Envelope id → content bytes, for what was sent and not yet acknowledged. */
  private readonly inFlight = new Map<string, number>();
  private inFlightBytes = 0;
  private announcedEmpty = false;
  private scheduled = false;
  /** A queue read is under way (reads are asynchronous). */
  private pumping = false;
  /** Something was committed or acknowledged while a read was under way: read once more. */
  private dirty = false;
  /**
   * True when the last read of the queue returned everything there was (and
   * nothing was committed meanwhile): envelopes committed since arrive
   * through `deliver`, in commit order, and can be pushed without a read.
   */
  private caughtUp = false;
  /** Pushing stopped because the socket's buffer is over the bound; `drain` resumes it. */
  private blocked = false;
  private closed = false;
  private readonly frames: TokenBucket;
  private readonly raw: RawSocket | undefined;

  constructor(
    private readonly ctx: RelayContext,
    private readonly socket: WebSocket,
    private readonly device: AuthenticatedDevice,
    private readonly log: FastifyBaseLogger,
    private readonly decode: (data: RawData, isBinary: boolean) => DecodedFrame,
  ) {
    const { wsFrameBurst, wsFramesPerSecond } = ctx.limits;
    this.frames = new TokenBucket(wsFrameBurst, wsFramesPerSecond / 1000, ctx.now());
    this.raw = (socket as unknown as { _socket?: RawSocket })._socket;
    this.raw?.on('drain', () => {
      if (!this.blocked) return;
      this.blocked = false;
      this.wake();
    });
  }

  /** Envelopes sent and not acknowledged (for tests and metrics). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private get open(): boolean {
    return !this.closed && this.socket.readyState === this.socket.OPEN;
  }

  /** Over the buffered-bytes bound: stop writing until the socket drains. */
  private overBuffered(): boolean {
    if (this.socket.bufferedAmount <= this.ctx.limits.wsMaxBufferedBytes) return false;
    if (!this.blocked) {
      this.blocked = true;
      // `drain` only comes when a write found the buffer over its high-water mark; below it, look again soon.
      if (this.raw?.writableNeedDrain !== true) {
        setTimeout(() => {
          this.blocked = false;
          this.wake();
        }, 20).unref();
      }
    }
    return true;
  }

  /** Whether one more envelope of `bytes` fits the window (an empty window always takes one). */
  private fits(bytes: number): boolean {
    if (this.inFlight.size === 0) return true;
    return this.inFlight.size < this.ctx.limits.maxBatch && this.inFlightBytes + bytes <= this.ctx.limits.wsWindowBytes;
  }

  deliver(committed: QueuedEnvelope[]): void {
    if (this.caughtUp && !this.scheduled && !this.pumping && this.open) {
      const fresh = committed.filter((r) => r.seq > this.lastSeq);
      if (this.send(fresh) === fresh.length) return;
    }
    this.caughtUp = false;
    this.wake();
  }

  wake(): void {
    if (this.pumping) {
      this.dirty = true;
      return;
    }
    // Coalesce bursts of wake-ups into one queue read per tick.
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  /**
   * Closes this connection (replaced, removed, misbehaving); the socket is
   * destroyed if the peer does not finish the close handshake in time.
   * `stopReading`: also stop reading at once (a flooding peer's further
   * frames then cost nothing).
   */
  disconnect(code: number, reason: string, stopReading = false): void {
    if (this.closed) return;
    this.closed = true;
    this.caughtUp = false;
    try {
      this.socket.close(code, reason);
      if (stopReading) this.socket.pause();
    } catch {
      // already gone
    }
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  /**
   * Sends rows as envelope frames while the window and the socket buffer
   * allow (one writev for the burst); returns how many were sent.
   */
  private send(rows: PendingEnvelope[]): number {
    let sent = 0;
    if (rows.length === 0 || !this.open) return 0;
    this.raw?.cork();
    try {
      for (const r of rows) {
        if (!this.fits(r.content.length) || this.overBuffered()) break;
        this.socket.send(JSON.stringify({ type: 'envelope', id: r.id, content: encodeBase64(r.content), receivedAt: r.receivedAt }));
        this.lastSeq = r.seq;
        this.inFlight.set(r.id, r.content.length);
        this.inFlightBytes += r.content.length;
        // Each pushed envelope earns the one ack frame a client sends for it.
        this.frames.credit(1, this.ctx.limits.wsFrameBurst + this.ctx.limits.maxBatch);
        sent++;
      }
    } finally {
      const raw = this.raw;
      if (raw !== undefined) process.nextTick(() => raw.uncork());
    }
    return sent;
  }

  /** Reads the device queue after `lastSeq` and sends as much as the window and the buffer allow. */
  async pump(): Promise<void> {
    if (this.pumping) {
      this.dirty = true;
      return;
    }
    this.pumping = true;
    try {
      for (;;) {
        this.dirty = false;
        const { maxBatch, wsWindowBytes } = this.ctx.limits;
        const room = maxBatch - this.inFlight.size;
        const byteRoom = this.inFlight.size === 0 ? wsWindowBytes : wsWindowBytes - this.inFlightBytes;
        // Window full (an acknowledgement wakes us) or socket buffer full (`drain` does).
        if (!this.open || room <= 0 || byteRoom <= 0 || this.overBuffered()) {
          this.caughtUp = false;
          return;
        }
        const rows = await this.ctx.store.pending(this.device.accountId, this.device.deviceId, this.ctx.now(), room, this.lastSeq, byteRoom);
        if (!this.open) return;
        const fresh = rows.filter((r) => r.seq > this.lastSeq);
        if (fresh.length === 0) {
          // Everything queued has been sent.
          this.caughtUp = !this.dirty;
          if (!this.announcedEmpty) {
            this.announcedEmpty = true;
            this.socket.send(JSON.stringify({ type: 'queue-empty' }));
          }
          if (!this.dirty) return;
          continue;
        }
        if (this.send(fresh) < fresh.length) {
          this.caughtUp = false;
          return;
        }
      }
    } catch (err) {
      // The queue could not be read: drop the connection; the client reconnects and nothing is lost.
      this.caughtUp = false;
      this.log.error({ err: { message: (err as Error).message } }, 'queue read failed');
      this.disconnect(1011, 'internal error');
    } finally {
      this.pumping = false;
    }
  }

  /** One client frame. Never throws: anything wrong closes this connection. */
  onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    try {
      if (!this.frames.take(1, this.ctx.now())) {
        this.disconnect(1008, 'frame rate exceeded', true);
        return;
      }
      const decoded = this.decode(data, isBinary);
      if (!decoded.ok) {
        this.socket.send(JSON.stringify({ type: 'error', error: { code: 'BAD_FRAME', message: decoded.violation.message } }));
        this.disconnect(decoded.violation.closeCode, decoded.violation.message);
        return;
      }
      const ids = decoded.frame.ids;
      this.ctx.store.acknowledgeMany(this.device.accountId, this.device.deviceId, ids).then(
        () => {
          for (const id of ids) {
            const bytes = this.inFlight.get(id);
            if (bytes === undefined) continue;
            this.inFlight.delete(id);
            this.inFlightBytes -= bytes;
          }
          this.wake();
        },
        (err: unknown) => {
          this.log.error({ err: { message: (err as Error).message } }, 'acknowledgement failed');
          if (this.open) this.socket.send(JSON.stringify({ type: 'error', error: { code: 'INTERNAL', message: 'acknowledgement not stored' } }));
        },
      );
    } catch (err) {
      this.log.error({ err: { message: (err as Error).message } }, 'frame handling failed');
      this.disconnect(1011, 'internal error');
    }
  }
}
