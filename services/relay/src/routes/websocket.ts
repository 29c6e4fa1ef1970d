/**
 * Push delivery over WebSocket: `GET /v1/websocket` with a relay credential.
 *
 * Server → client: `{"type":"envelope","id","content"(base64),"receivedAt"}`,
 * and once the initial backlog is sent, `{"type":"queue-empty"}`.
 * Client → server: `{"type":"ack","id"}` or `{"type":"ack","ids":[...]}`.
 *
 * At most `maxBatch` envelopes are in flight (sent, unacknowledged) per
 * connection. Unacknowledged envelopes stay in the database and are sent
 * again on the next connection; acknowledged ones are deleted.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { deviceOf, encodeBase64 } from '@sealpost/service-kit';
import type { AuthenticatedDevice } from '../auth.ts';
import type { RelayContext } from '../context.ts';
import type { DeliveryListener } from '../delivery-hub.ts';
import type { PendingEnvelope, QueuedEnvelope } from '../store/index.ts';

/** Interval between WebSocket pings. */
const HEARTBEAT_MS = 30_000;

/** One open connection of one device: tracks what it has sent and pumps the queue. */
class DeviceConnection implements DeliveryListener {
  private lastSeq = 0;
  private readonly inFlight = new Set<string>();
  private announcedEmpty = false;
  private scheduled = false;
  /** A queue read is under way (reads are asynchronous). */
  private pumping = false;
  /** Something was committed or acknowledged while a read was under way: read once more. */
  private dirty = false;
  /**
   * True when the last read of the queue returned everything there was (and
   * nothing was committed meanwhile): every envelope committed since arrives
   * through `deliver`, in commit order, and can be pushed without reading the
   * database again.
   */
  private caughtUp = false;

  constructor(
    private readonly ctx: RelayContext,
    private readonly socket: WebSocket,
    private readonly device: AuthenticatedDevice,
    private readonly log: FastifyBaseLogger,
  ) {}

  deliver(committed: QueuedEnvelope[]): void {
    if (
      this.caughtUp &&
      !this.scheduled &&
      !this.pumping &&
      this.inFlight.size + committed.length <= this.ctx.limits.maxBatch &&
      this.socket.readyState === this.socket.OPEN
    ) {
      this.send(committed.filter((r) => r.seq > this.lastSeq));
      return;
    }
    this.caughtUp = false;
    this.wake();
  }

  disconnect(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  wake(): void {
    if (this.pumping) {
      this.dirty = true;
      return;
    }
    // Coalesce bursts of wake-ups into one queue read per tick.
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  /** Sends rows as envelope frames (one writev for the burst, not a syscall per frame). */
  private send(rows: PendingEnvelope[]): void {
    if (rows.length === 0) return;
    const raw = (this.socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    raw?.cork();
    for (const r of rows) {
      this.socket.send(JSON.stringify({ type: 'envelope', id: r.id, content: encodeBase64(r.content), receivedAt: r.receivedAt }));
      this.lastSeq = r.seq;
      this.inFlight.add(r.id);
    }
    if (raw !== undefined) process.nextTick(() => raw.uncork());
  }

  /** Reads the device queue after `lastSeq` and sends as much as the window allows. */
  async pump(): Promise<void> {
    if (this.pumping) {
      this.dirty = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.dirty = false;
        if (this.socket.readyState !== this.socket.OPEN) return;
        const room = this.ctx.limits.maxBatch - this.inFlight.size;
        if (room <= 0) return;
        const rows = await this.ctx.store.pending(this.device.accountId, this.device.deviceId, this.ctx.now(), room, this.lastSeq);
        if (this.socket.readyState !== this.socket.OPEN) return;
        this.send(rows.filter((r) => r.seq > this.lastSeq));
        const drained = rows.length < room;
        this.caughtUp = drained && !this.dirty;
        if (drained && !this.announcedEmpty) {
          this.announcedEmpty = true;
          this.socket.send(JSON.stringify({ type: 'queue-empty' }));
        }
      } while (this.dirty);
    } catch (err) {
      // The queue could not be read: drop the connection; the client reconnects and nothing is lost.
      this.caughtUp = false;
      this.log.error({ err: { message: (err as Error).message } }, 'queue read failed');
      this.socket.close(1011, 'internal error');
    } finally {
      this.pumping = false;
    }
  }

  onMessage(data: unknown): void {
    let msg: { type?: unknown; id?: unknown; ids?: unknown };
    try {
      msg = JSON.parse(String(data)) as typeof msg;
    } catch {
      this.socket.send(JSON.stringify({ type: 'error', error: { code: 'BAD_FRAME', message: 'frames must be JSON' } }));
      return;
    }
    if (msg.type !== 'ack') {
      this.socket.send(JSON.stringify({ type: 'error', error: { code: 'BAD_FRAME', message: 'unknown frame type' } }));
      return;
    }
    const ids = typeof msg.id === 'string' ? [msg.id] : Array.isArray(msg.ids) ? msg.ids.filter((x): x is string => typeof x === 'string') : [];
    if (ids.length === 0 || ids.length > 1000) {
      this.socket.send(JSON.stringify({ type: 'error', error: { code: 'BAD_FRAME', message: 'ack needs id or ids (1..1000)' } }));
      return;
    }
    this.ctx.store.acknowledgeMany(this.device.accountId, this.device.deviceId, ids).then(
      () => {
        for (const id of ids) this.inFlight.delete(id);
        this.wake();
      },
      () => this.socket.send(JSON.stringify({ type: 'error', error: { code: 'INTERNAL', message: 'acknowledgement not stored' } })),
    );
  }
}

/** Registers the WebSocket route. */
export async function websocketRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.relay;
  app.get(
    '/v1/websocket',
    {
      websocket: true,
      schema: {
        summary: 'Push delivery of queued envelopes (WebSocket; see module docs for frames)',
        tags: ['receive'],
        hide: true,
        querystring: { type: 'object', properties: { token: { type: 'string', maxLength: 4096 } } },
      },
    },
    (socket, request) => {
      const device = deviceOf<AuthenticatedDevice>(request);
      const conn = new DeviceConnection(ctx, socket, device, request.log);
      const unsubscribe = ctx.hub.subscribe(device.accountId, device.deviceId, conn);
      // A connection lives no longer than its credential: the client reconnects with a fresh one.
      let expiry: NodeJS.Timeout | undefined;
      if (device.expiresAt !== undefined) {
        const ms = Math.max(0, Math.min(device.expiresAt - ctx.now(), 2 ** 31 - 1));
        expiry = setTimeout(() => socket.close(4401, 'credential expired'), ms);
      }
      // Heartbeat: a peer that misses a pong for a whole interval is gone (NAT, sleep); drop it
      // so its unacknowledged envelopes wait for the next connection.
      let alive = true;
      socket.on('pong', () => {
        alive = true;
      });
      const heartbeat = setInterval(() => {
        if (!alive) {
          socket.terminate();
          return;
        }
        alive = false;
        socket.ping();
      }, HEARTBEAT_MS);
      heartbeat.unref();
      const done = (): void => {
        unsubscribe();
        clearInterval(heartbeat);
        if (expiry !== undefined) clearTimeout(expiry);
      };
      socket.on('message', (data) => conn.onMessage(data));
      socket.on('close', done);
      socket.on('error', done);
      void conn.pump();
    },
  );
}
