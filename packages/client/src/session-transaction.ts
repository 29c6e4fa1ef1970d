/**
 * One ratchet step = one transaction. The session record is re-read inside
 * the transaction (never carried over from before it), the pure protocol
 * step runs, and the new record is written together with whatever the step
 * produced (a received plaintext, an outgoing envelope) before commit.
 */
import { KeyedMutex } from './mutex.ts';
import type { ClientStore, DeviceAddress } from './store/types.ts';

/** What a step returns: the record to write and the caller's result. */
export interface SessionStep<T> {
  /**
   * The new session record; `undefined` leaves the stored one as it is
   * (e.g. a step that only read it), `null` deletes it.
   */
  record: Uint8Array | null | undefined;
  /** Returned from `withSessionTransaction`. */
  result: T;
}

/**
 * Runs `step` on the session for `address` inside one store transaction.
 *
 * `step` must be synchronous (it is the pure protocol function plus store
 * writes of its output, e.g. `store.addMessage`): nothing may await between
 * reading the record and committing the new one. If `step` throws, the
 * transaction rolls back and the stored record stays byte-identical.
 */
export function withSessionTransaction<T>(
  store: ClientStore,
  address: DeviceAddress,
  step: (record: Uint8Array | undefined) => SessionStep<T>,
): T {
  return store.transaction(() => {
    const current = store.loadSession(address);
    const { record, result } = step(current);
    if (record === null) store.deleteSession(address);
    else if (record !== undefined) store.storeSession(address, record);
    return result;
  });
}

/**
 * Per-account serialization for the async parts around a step (fetching a
 * bundle, sending, acknowledging), so the steps for one peer run in order.
 * Keyed by account, not device: a send touches every device of the account.
 */
export class SessionLocks {
  readonly #mutex = new KeyedMutex();

  /** Runs `fn` exclusively for `account` within this process. */
  run<T>(account: string, fn: () => Promise<T> | T): Promise<T> {
    return this.#mutex.run(account, fn);
  }
}
