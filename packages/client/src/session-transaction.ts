/**
 * One ratchet step = one transaction. The session record is loaded inside
 * the transaction (never carried over from before it), the pure protocol
 * step runs synchronously on it, and the new record is stored together with
 * whatever else the transaction writes (a received plaintext, an outgoing
 * envelope) before commit.
 *
 * The no-interleave guarantee has two parts: within a process the
 * per-conversation `SessionLocks` order the async work around steps (fetching
 * a bundle, sending, acknowledging); the store's transaction makes the
 * load → step → store sequence atomic and exclusive (for SQLite also across
 * processes, through `BEGIN IMMEDIATE`).
 */
import { KeyedMutex } from './mutex.ts';
import type { ClientStore, DeviceAddress, StoreTransaction } from './store/types.ts';

/** What a step returns: the record to write and the caller's result. */
export interface SessionStep<T> {
  /**
   * The new session record; `undefined` leaves the stored one as it is
   * (e.g. a step that only read it), `null` deletes it.
   */
  record: Uint8Array | null | undefined;
  /** Returned from the step's runner. */
  result: T;
}

/** The pure, synchronous part of a step: record in, record and result out. */
export type SessionStepFn<T> = (record: Uint8Array | undefined) => SessionStep<T>;

/**
 * Runs `step` on the session for `address` inside the caller's transaction
 * `tx`: async load, synchronous step, async store. If `step` throws, nothing
 * is stored (and the caller's transaction rolls back).
 */
export async function runSessionStep<T>(tx: StoreTransaction, address: DeviceAddress, step: SessionStepFn<T>): Promise<T> {
  const current = await tx.sessions.load(address);
  const { record, result } = step(current);
  if (record === null) await tx.sessions.remove(address);
  else if (record !== undefined) await tx.sessions.store(address, record);
  return result;
}

/**
 * Runs `step` on the session for `address` in a transaction of its own; `then`
 * (optional) writes the step's output in the same transaction. If either
 * throws, the transaction rolls back and the stored record stays byte-identical.
 */
export function withSessionTransaction<T, U = T>(
  store: ClientStore,
  address: DeviceAddress,
  step: SessionStepFn<T>,
  then?: (tx: StoreTransaction, result: T) => Promise<U>,
): Promise<U> {
  return store.transaction(async (tx) => {
    const result = await runSessionStep(tx, address, step);
    return then === undefined ? (result as unknown as U) : then(tx, result);
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
