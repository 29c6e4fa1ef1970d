/**
 * The provisioning mailboxes of one relay instance (routes/provisioning.ts
 * has the protocol): the sockets waiting for a message, their bounds, and —
 * behind several instances — the `MailboxExchange` through which a message
 * PUT to another instance reaches the socket held here.
 *
 * A mailbox is known to the exchange by its key, hex SHA-256 of its id, so
 * the shared database never holds an id that could be used to deliver.
 * Flow across instances: the PUT lands on B, which does not hold the
 * mailbox; B leaves the message in the exchange (`leave`, single use) and
 * publishes "mailbox filled" (`DeliveryNotifier.mailboxFilled`); A, which
 * holds the socket, takes it (`take`) and hands it over. After the
 * cross-instance listener reconnects, every local mailbox is looked at once
 * (`resync`), so a missed notice only delays a message.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { encodeBase64 } from '@sealpost/service-kit';

/** Bounds of the provisioning mailboxes. */
export interface ProvisioningLimits {
  /** How long a mailbox waits for its message, ms (default 5 min). */
  ttlMs: number;
  /** Most open mailboxes in this relay (default 1000). */
  maxMailboxes: number;
  /** Most open mailboxes per remote address — IPv4 address or IPv6 /64 (default 8). */
  maxMailboxesPerAddress: number;
  /** Largest provisioning message (decoded body), bytes (default 16 KiB). */
  maxMessageBytes: number;
}

/** Defaults: a few minutes to scan a QR code; a provisioning message is well under 1 KiB. */
export const DEFAULT_PROVISIONING_LIMITS: ProvisioningLimits = { ttlMs: 5 * 60_000, maxMailboxes: 1000, maxMailboxesPerAddress: 8, maxMessageBytes: 16 * 1024 };

/** Close codes of a mailbox socket. */
export const MAILBOX_CLOSE = { delivered: 1000, clientFrame: 1008, expired: 4408, shutdown: 1012, internal: 1011 } as const;

/** Where mailboxes of all instances meet (absent: one instance, nothing to exchange). */
export interface MailboxExchange {
  /** A mailbox opened here; resolves once a PUT through any instance can find it. */
  opened(key: string, expiresAt: number): Promise<void>;
  /** The mailbox ended here (delivered, closed, expired). Never rejects. */
  ended(key: string): Promise<void>;
  /** Leaves `body` for a mailbox open on another instance; false when there is none open and empty. */
  leave(key: string, body: Uint8Array, now: number): Promise<boolean>;
  /** Takes the message left for the mailbox, if one is there (single use). */
  take(key: string): Promise<Uint8Array | undefined>;
  /** Releases what it holds (the app's onClose). */
  close?(): Promise<void>;
}

/** The exchange key of a mailbox id: hex SHA-256. */
export function mailboxKey(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

interface Mailbox {
  socket: WebSocket;
  address: string;
  key: string;
  timer: NodeJS.Timeout;
}

/** The open mailboxes of this process. */
export class Mailboxes {
  readonly #open = new Map<string, Mailbox>();
  readonly #byKey = new Map<string, string>();
  readonly #perAddress = new Map<string, number>();

  constructor(
    readonly limits: ProvisioningLimits,
    private readonly exchange?: MailboxExchange,
    /** Publishes "mailbox filled" to every instance (called after a message was left in the exchange). */
    private readonly announce: (key: string) => void = () => undefined,
    private readonly onError: (err: Error, what: string) => void = () => undefined,
  ) {}

  /** Whether one more mailbox for `address` is within bounds. */
  admits(address: string): boolean {
    return this.#open.size < this.limits.maxMailboxes && (this.#perAddress.get(address) ?? 0) < this.limits.maxMailboxesPerAddress;
  }

  /** Opens a mailbox on `socket`; resolves once it can be addressed through any instance. */
  async open(socket: WebSocket, address: string, now: number): Promise<{ id: string; expiresAt: number }> {
    const id = randomBytes(16).toString('base64url');
    const key = mailboxKey(id);
    const timer = setTimeout(() => this.#end(id, MAILBOX_CLOSE.expired, 'mailbox expired'), this.limits.ttlMs);
    timer.unref();
    this.#open.set(id, { socket, address, key, timer });
    this.#byKey.set(key, id);
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    socket.on('message', () => this.#end(id, MAILBOX_CLOSE.clientFrame, 'mailbox sockets only receive'));
    socket.on('close', () => this.#remove(id));
    socket.on('error', () => this.#remove(id));
    const expiresAt = now + this.limits.ttlMs;
    if (this.exchange !== undefined) {
      try {
        await this.exchange.opened(key, expiresAt);
      } catch (err) {
        this.onError(err as Error, 'mailbox not registered');
        this.#end(id, MAILBOX_CLOSE.internal, 'internal error');
        throw err;
      }
    }
    return { id, expiresAt };
  }

  /**
   * Hands `body` to the mailbox — here if its socket is here, else through
   * the exchange to the instance that holds it. False when no such mailbox
   * is open anywhere.
   */
  async deliver(id: string, body: Uint8Array, now: number): Promise<boolean> {
    if (this.#open.has(id)) return this.#hand(id, body);
    if (this.exchange === undefined) return false;
    const key = mailboxKey(id);
    if (!(await this.exchange.leave(key, body, now))) return false;
    this.announce(key);
    return true;
  }

  /** A message was left for the mailbox with this key: if it is here, take it and hand it over. */
  filled(key: string): void {
    const id = this.#byKey.get(key);
    if (id === undefined || this.exchange === undefined) return;
    this.exchange.take(key).then(
      (body) => {
        if (body !== undefined) this.#hand(id, body);
      },
      (err: unknown) => this.onError(err as Error, 'mailbox message not taken'),
    );
  }

  /** Notices may have been missed: look at every local mailbox once. */
  resync(): void {
    for (const key of this.#byKey.keys()) this.filled(key);
  }

  /** Sends `body` on the local socket and ends the mailbox; false when its socket is no longer open. */
  #hand(id: string, body: Uint8Array): boolean {
    const box = this.#open.get(id);
    if (box === undefined || box.socket.readyState !== box.socket.OPEN) return false;
    this.#remove(id);
    box.socket.send(JSON.stringify({ type: 'provision', body: encodeBase64(body) }), () => box.socket.close(MAILBOX_CLOSE.delivered, 'delivered'));
    return true;
  }

  #remove(id: string): Mailbox | undefined {
    const box = this.#open.get(id);
    if (box === undefined) return undefined;
    this.#open.delete(id);
    this.#byKey.delete(box.key);
    clearTimeout(box.timer);
    const left = (this.#perAddress.get(box.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(box.address, left);
    else this.#perAddress.delete(box.address);
    void this.exchange?.ended(box.key);
    return box;
  }

  #end(id: string, code: number, reason: string): void {
    this.#remove(id)?.socket.close(code, reason);
  }

  /** Closes every mailbox (relay shutdown). */
  closeAll(): void {
    for (const id of [...this.#open.keys()]) this.#end(id, MAILBOX_CLOSE.shutdown, 'relay shutting down');
  }

  get size(): number {
    return this.#open.size;
  }
}
