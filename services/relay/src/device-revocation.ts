/**
 * What the relay does about a device the key server no longer lists: close
 * its open WebSockets on this instance (4403, through the delivery hub) and
 * purge its queue. Open sockets are found by `OpenSockets`
 * (open-sockets.ts), removals confirmed by the `DeviceAuthorizer`.
 *
 * Purging: device ids are never reused, so a removed device's queue can
 * never be read again; it is deleted when the relay learns of the removal —
 * a refused request, a revalidated socket, or any device-list fetch for the
 * account (e.g. the primary's next request) that lacks a device an earlier
 * one listed. A relay that restarted, or never saw the device listed, keeps
 * the queue until the message TTL expires it.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { DeliveryNotifier } from './delivery-hub.ts';
import type { EnvelopeQueue } from './store/index.ts';

/** Close code of a WebSocket whose device was removed or replaced. */
export const DEVICE_REVOKED_CLOSE_CODE = 4403;
/** Envelopes deleted per purge step. */
const PURGE_BATCH = 500;

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

  /**
   * A deleted account (the key server answers 410 ACCOUNT_DELETED, or its
   * primary asked the relay to delete it): every queue of the account, its
   * shared-payload references and its access-key hash deleted in one store
   * transaction. Resolves to how many envelopes went. Never rejects.
   */
  async purgeAccount(accountId: string): Promise<number> {
    try {
      const n = await this.queue.deleteAccount(accountId);
      this.log()?.info({ purged: n }, 'queues of a deleted account purged');
      return n;
    } catch (err) {
      this.log()?.error({ err: { message: (err as Error).message } }, 'purging a deleted account failed');
      return 0;
    }
  }

  /** A removed device: sockets closed, queue purged. */
  async removed(accountId: string, deviceId: number): Promise<void> {
    this.disconnect(accountId, deviceId, 'device removed');
    await this.purge(accountId, deviceId);
  }
}
