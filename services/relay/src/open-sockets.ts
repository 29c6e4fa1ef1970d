/**
 * The devices behind this instance's open WebSockets, revalidated
 * periodically. A WebSocket authenticates once, at the upgrade;
 * `OpenSockets` keeps which (account, device, registration id) each one is
 * and, every `intervalMs`, looks up each account that has open sockets once
 * (through the `DeviceAuthorizer`, so one fetch per account per interval, at
 * most `concurrency` at a time). A socket whose device is removed is closed
 * with 4403 (`DeviceRevocation`; its TCP socket is destroyed a moment later
 * if still open); one of a replaced registration id is destroyed alone. A
 * directory failure closes nothing: the device was authorized when the
 * socket opened, and the key server being unreachable is not evidence of a
 * removal.
 */
import type { Socket } from 'node:net';
import { standingIn, type DeviceAuthorizer } from './device-authorizer.ts';
import type { DeviceRevocation } from './device-revocation.ts';

/** Default interval between revalidations of open sockets, ms. */
export const DEFAULT_REVALIDATE_MS = 1000;
/** How long a revoked socket gets to close cleanly before its TCP socket is destroyed, ms. */
const CLOSE_GRACE_MS = 1000;

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
