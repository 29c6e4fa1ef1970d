/**
 * What the relay does about a device the key server no longer lists: close
 * its open WebSockets and purge its queue — and the periodic check that
 * finds such devices among open sockets.
 *
 * Open WebSockets authenticated once, at the upgrade; `OpenSockets` keeps
 * which (account, device, registration id) each one is and, every
 * `intervalMs`, looks up each account that has open sockets once (through
 * the `DeviceAuthorizer`, so one fetch per account per interval, at most
 * `concurrency` at a time). A socket whose device is removed or replaced is
 * closed with 4403 (through the delivery hub; its TCP socket is destroyed a
 * moment later if it is still open). A directory failure closes nothing:
 * the device was authorized when the socket opened, and the key server
 * being unreachable is not evidence of a removal.
 *
 * Purging: device ids are never reused, so a removed device's queue can
 * never be read again; it is deleted when the relay learns of the removal —
 * a refused request, a revalidated socket, or any device-list fetch for the
 * account (e.g. the primary's next request) that lacks a device an earlier
 * one listed. A relay that restarted, or never saw the device listed, keeps
 * the queue until the message TTL expires it.
 */
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { DeliveryNotifier } from './delivery-hub.ts';
import { standingIn, type DeviceAuthorizer } from './device-authorizer.ts';
import type { EnvelopeQueue } from './store/index.ts';

/** Close code of a WebSocket whose device was removed or replaced. */
export const DEVICE_REVOKED_CLOSE_CODE = 4403;
/** Default interval between revalidations of open sockets, ms. */
export const DEFAULT_REVALIDATE_MS = 1000;
/** Envelopes deleted per purge step. */
const PURGE_BATCH = 500;
/** How long a revoked socket gets to close cleanly before its TCP socket is destroyed, ms. */
const CLOSE_GRACE_MS = 1000;

/** Closes a removed device's sockets and deletes its queue. */
export class DeviceRevocation {
  private readonly purging = new Set<string>();

  constructor(
    private readonly queue: EnvelopeQueue,
    private readonly hub: DeliveryNotifier,
    private readonly now: () => number,
    private readonly log: () => FastifyBaseLogger | undefined,
  ) {}

  /** Closes the device's sockets on this instance (4403). */
  disconnect(accountId: string, deviceId: number, reason: string): void {
    this.hub.disconnectDevice?.(accountId, deviceId, DEVICE_REVOKED_CLOSE_CODE, reason);
  }

  /** Deletes every envelope queued for the device; resolves to how many. Never rejects. */
  async purge(accountId: string, deviceId: number): Promise<number> {
    const k = `${accountId}\u0000${deviceId}`;
    if (this.purging.has(k)) return 0;
    this.purging.add(k);
    let total = 0;
    try {
      for (;;) {
        const rows = await this.queue.pending(accountId, deviceId, this.now(), PURGE_BATCH);
        if (rows.length === 0) break;
        total += await this.queue.acknowledgeMany(accountId, deviceId, rows.map((r) => r.id));
        if (rows.length < PURGE_BATCH) break;
      }
      if (total > 0) this.log()?.info({ purged: total }, 'queue of a removed device purged');
    } catch (err) {
      this.log()?.error({ err: { message: (err as Error).message } }, 'purging a removed device queue failed');
    } finally {
      this.purging.delete(k);
    }
    return total;
  }

  /** A removed device: sockets closed, queue purged. */
  async removed(accountId: string, deviceId: number): Promise<void> {
    this.disconnect(accountId, deviceId, 'device removed');
    await this.purge(accountId, deviceId);
  }
}

interface OpenSocket {
  deviceId: number;
  registrationId: number;
  socket: Socket;
  /** When it was authorized (ms): only lists fetched after this may condemn it. */
  authorizedAt: number;
}

/** The devices behind this instance's open WebSockets, revalidated periodically. */
export class OpenSockets {
  private readonly byAccount = new Map<string, Set<OpenSocket>>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly authorizer: DeviceAuthorizer,
    private readonly revocation: DeviceRevocation,
    private readonly now: () => number,
    private readonly intervalMs = DEFAULT_REVALIDATE_MS,
    private readonly concurrency = 16,
  ) {}

  /** Tracks an upgraded connection (authorized at `authorizedAt`) until its TCP socket closes. */
  watch(accountId: string, deviceId: number, registrationId: number, socket: Socket, authorizedAt: number): void {
    if (socket.destroyed) return; // gone already: 'close' has fired
    const entry: OpenSocket = { deviceId, registrationId, socket, authorizedAt };
    let set = this.byAccount.get(accountId);
    if (set === undefined) {
      set = new Set();
      this.byAccount.set(accountId, set);
    }
    set.add(entry);
    socket.once('close', () => {
      set.delete(entry);
      if (set.size === 0 && this.byAccount.get(accountId) === set) this.byAccount.delete(accountId);
    });
    this.start();
  }

  /** Number of tracked sockets. */
  get size(): number {
    let n = 0;
    for (const s of this.byAccount.values()) n += s.size;
    return n;
  }

  private start(): void {
    if (this.timer !== undefined || this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.revalidate(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer (the app's onClose). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass over every account with open sockets (also callable directly). */
  async revalidate(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const accounts = [...this.byAccount.keys()];
      // Every list used below is fetched after the pass started; sockets authorized later wait for the next pass.
      const passStart = this.now();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < accounts.length) await this.revalidateAccount(accounts[next++]!, passStart);
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, accounts.length) }, worker));
      if (this.byAccount.size === 0) this.stop();
    } finally {
      this.running = false;
    }
  }

  private async revalidateAccount(accountId: string, passStart: number): Promise<void> {
    let devices;
    try {
      devices = await this.authorizer.devices(accountId, { since: passStart });
    } catch {
      return; // key server unreachable: no evidence of a removal
    }
    for (const open of [...(this.byAccount.get(accountId) ?? [])]) {
      if (open.authorizedAt > passStart) continue;
      const standing = standingIn(devices, open.deviceId, open.registrationId);
      if (standing === 'current') continue;
      // A removal reaches `DeviceRevocation.removed` through the authorizer's onRemoved (sockets closed, queue purged).
      this.authorizer.rememberGone({ accountId, deviceId: open.deviceId, registrationId: open.registrationId }, standing);
      const { socket } = open;
      if (standing === 'replaced') {
        // The same id is now another registration: only this old socket goes (the hub would close the new one's too).
        socket.destroy();
        continue;
      }
      // A socket of a device whose removal was confirmed earlier (rememberGone reports only the first time).
      this.revocation.disconnect(accountId, open.deviceId, 'device removed');
      // Whatever the listener did, the connection ends shortly.
      setTimeout(() => {
        if (!socket.destroyed) socket.destroy();
      }, CLOSE_GRACE_MS).unref();
    }
  }
}
