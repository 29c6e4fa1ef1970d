/**
 * One-at-a-time access to a store. Both shipped stores run their async
 * transactions through one `SerialQueue`, so two transactions on one
 * connection never interleave (better-sqlite3 has one transaction per
 * connection), and wrap their role objects with `serialRoles` so a call made
 * outside a transaction waits for the running one instead of landing in it.
 */
import type { StoreRoles } from './types.ts';

/** A FIFO lock. */
export class SerialQueue {
  #tail: Promise<void> = Promise.resolve();

  /** Runs `fn` after everything queued before it has settled. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

function serialRole<R extends object>(role: R, queue: SerialQueue): R {
  const out: Record<string, unknown> = {};
  let proto: object | null = role;
  while (proto !== null && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const value = (role as Record<string, unknown>)[name];
      if (name === 'constructor' || typeof value !== 'function' || name in out) continue;
      out[name] = (...args: unknown[]) => queue.run(() => (value as (...a: unknown[]) => unknown).apply(role, args));
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return out as R;
}

/** The roles with every method queued on `queue`. */
export function serialRoles(roles: StoreRoles, queue: SerialQueue): StoreRoles {
  return {
    sessions: serialRole(roles.sessions, queue),
    identities: serialRole(roles.identities, queue),
    preKeys: serialRole(roles.preKeys, queue),
    signedPreKeys: serialRole(roles.signedPreKeys, queue),
    kyberPreKeys: serialRole(roles.kyberPreKeys, queue),
    history: serialRole(roles.history, queue),
    outbox: serialRole(roles.outbox, queue),
    settings: serialRole(roles.settings, queue),
    contacts: serialRole(roles.contacts, queue),
    quarantine: serialRole(roles.quarantine, queue),
    sentLog: serialRole(roles.sentLog, queue),
    groups: serialRole(roles.groups, queue),
    senderKeys: serialRole(roles.senderKeys, queue),
  };
}
