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
import type { FlushBudget } from './flush-budget.ts';

/** Bytes of the JSON frame that carries `contentBytes` of envelope (base64 plus the fields around it). */
function frameSize(contentBytes: number): number {
  return Math.ceil(contentBytes / 3) * 4 + 96;
}

/** How long a closed-for-cause peer gets to finish the close handshake before its socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

interface RawSocket {
  cork(): void;
  uncork(): void;
  on(event: 'drain', listener: () => void): void;
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
  /** Releases of large frames not yet flushed (given back on flush, or when the socket goes). */
  private readonly heldLarge = new Set<() => void>();
  private readonly wakeFromBudget = (): void => {
    this.blocked = false;
    this.wake();
  };
  private readonly frames: TokenBucket;
  private readonly raw: RawSocket | undefined;

  constructor(
    private readonly ctx: RelayContext,
    private readonly socket: WebSocket,
    private readonly device: AuthenticatedDevice,
    private readonly log: FastifyBaseLogger,
    private readonly decode: (data: RawData, isBinary: boolean) => DecodedFrame,
    private readonly largeFrames: FlushBudget,
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

  /**
   * Whether a frame of `frameBytes` may be written now. A frame within
   * `wsMaxBufferedBytes` goes when it fits under that bound; a larger one
   * only into an empty buffer, and only within the relay-wide large-frame
   * budget. When it may not, pushing stops: the socket's flush (or the
   * budget) wakes the session again.
   */
  private bufferTakes(frameBytes: number): boolean {
    const bound = this.ctx.limits.wsMaxBufferedBytes;
    const buffered = this.socket.bufferedAmount;
    if (frameBytes <= bound ? buffered + frameBytes <= bound : buffered === 0) {
      if (frameBytes <= bound || this.largeFrames.tryTake(frameBytes)) return true;
      this.largeFrames.wait(this.wakeFromBudget);
    }
    this.blocked = true;
    return false;
  }

  /** Sends one frame; a large one holds budget until the kernel has taken it. */
  private write(text: string, frameBytes: number): void {
    if (frameBytes <= this.ctx.limits.wsMaxBufferedBytes) {
      this.socket.send(text, this.onFlush);
      return;
    }
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      this.heldLarge.delete(release);
      this.largeFrames.release(frameBytes);
    };
    this.heldLarge.add(release);
    this.socket.send(text, () => {
      release();
      this.onFlush();
    });
  }

  /** A write reached the kernel: a session waiting for room tries again. */
  private readonly onFlush = (): void => {
    if (!this.blocked) return;
    this.blocked = false;
    this.wake();
  };

  /** The socket is gone: give back what its unflushed large frames held. */
  released(): void {
    this.closed = true;
    this.largeFrames.cancel(this.wakeFromBudget);
    for (const release of [...this.heldLarge]) release();
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
        const bytes = frameSize(r.content.length);
        if (!this.fits(r.content.length) || !this.bufferTakes(bytes)) break;
        this.write(JSON.stringify({ type: 'envelope', id: r.id, content: encodeBase64(r.content), receivedAt: r.receivedAt }), bytes);
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
        const { maxBatch, wsWindowBytes, wsMaxBufferedBytes } = this.ctx.limits;
        const room = maxBatch - this.inFlight.size;
        const byteRoom = this.inFlight.size === 0 ? wsWindowBytes : wsWindowBytes - this.inFlightBytes;
        // Window full (an acknowledgement wakes us) or socket buffer full (`drain` does).
        if (!this.open || room <= 0 || byteRoom <= 0 || !this.bufferTakes(1)) {
          this.caughtUp = false;
          return;
        }
        // Read no more than the buffer can take now (content is 3/4 of its base64 frame).
        const bufferRoom = Math.floor(((wsMaxBufferedBytes - this.socket.bufferedAmount) * 3) / 4);
        const rows = await this.ctx.store.pending(this.device.accountId, this.device.deviceId, this.ctx.now(), room, this.lastSeq, Math.max(1, Math.min(byteRoom, bufferRoom)));
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
          // Caught up: everything committed since the last read was pushed by `deliver`, so the
          // queue holds nothing unsent and a read would return nothing. Otherwise the freed
          // window is refilled from the queue.
          if (!this.caughtUp) this.wake();
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
