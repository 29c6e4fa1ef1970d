/**
 * Read state of received messages. `markRead` marks a conversation's unread
 * received messages read in ONE store transaction and, inside it, calls every
 * registered read listener (read receipts, read sync to this account's other
 * devices, disappearing-message timers) with exactly the rows it marked, so
 * that their bookkeeping commits with the read state or not at all. What a
 * listener must do outside the transaction (network sends) it returns as an
 * after-commit function; those run once the transaction committed, in
 * registration order, and their failures are reported, not thrown.
 */
import type { StoreTransaction, StoredMessage } from './store/types.ts';
import type { ClientStore } from './store/types.ts';

/** What `markRead` marked. */
export interface MessagesRead {
  /** The conversation (peer account, or a group's conversation id). */
  readonly peer: string;
  /** The rows this call marked read, oldest first (each with `readAt`). */
  readonly messages: readonly StoredMessage[];
  /** The read time, ms. */
  readonly now: number;
  /** `'sync'` when another device of this account read them (a `ReadSync`): listeners must not tell anyone again. Default `'local'`. */
  readonly origin?: 'local' | 'sync';
}

/** Runs inside the marking transaction; may return work to run after the commit. */
export type ReadListener = (tx: StoreTransaction, read: MessagesRead) => Promise<void | (() => Promise<void>)>;

/** The registered read listeners and the marking itself. */
export class ReadState {
  readonly #listeners = new Set<ReadListener>();

  constructor(private readonly d: { store: ClientStore; now: () => number; onError: (error: unknown) => void }) {}

  /** Registers a listener; returns a function that removes it. */
  listen(listener: ReadListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Marks `peer`'s unread received messages up to row id `upToId` (default:
   * all) read now. Resolves with the marked rows once every listener's
   * after-commit work has run; a listener that throws inside the transaction
   * rolls the whole marking back and the error propagates.
   */
  async markRead(peer: string, upToId = Number.MAX_SAFE_INTEGER): Promise<MessagesRead> {
    const now = this.d.now();
    const { read, after } = await this.d.store.transaction((tx) => this.markReadIn(tx, peer, upToId, now));
    await this.runAfter(after);
    return read;
  }

  /**
   * `markRead`'s marking inside the caller's transaction `tx` (a read synced
   * from another device of this account, `origin: 'sync'`, applied in the
   * envelope's transaction). Returns the marking and the listeners' after-commit
   * work, which the caller runs with `runAfter` once `tx` committed.
   */
  async markReadIn(tx: StoreTransaction, peer: string, upToId: number, now: number, origin: 'local' | 'sync' = 'local'): Promise<{ read: MessagesRead; after: (() => Promise<void>)[] }> {
    const read: MessagesRead = { peer, messages: await tx.history.markRead(peer, upToId, now), now, ...(origin === 'sync' ? { origin } : {}) };
    const after: (() => Promise<void>)[] = [];
    if (read.messages.length > 0) {
      for (const listener of [...this.#listeners]) {
        const then = await listener(tx, read);
        if (typeof then === 'function') after.push(then);
      }
    }
    return { read, after };
  }

  /** Runs after-commit work in order; failures are reported, not thrown. */
  async runAfter(after: readonly (() => Promise<void>)[]): Promise<void> {
    for (const then of after) await then().catch(this.d.onError);
  }
}
