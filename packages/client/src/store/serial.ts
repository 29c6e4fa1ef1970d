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

/**
 * `roles` with every method replaced by `wrap(roleName, methodName)`'s
 * function (methods found along each role's prototype chain).
 */
export function mapRoleMethods(roles: StoreRoles, wrap: (role: keyof StoreRoles, method: string, fn: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown): StoreRoles {
  const mapped: Record<string, unknown> = {};
  for (const roleName of Object.keys(roles) as (keyof StoreRoles)[]) {
    const role = roles[roleName] as object;
    const out: Record<string, unknown> = {};
    let proto: object | null = role;
    while (proto !== null && proto !== Object.prototype) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        const value = (role as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof value !== 'function' || name in out) continue;
        out[name] = wrap(roleName, name, (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(role, args));
      }
      proto = Object.getPrototypeOf(proto) as object | null;
    }
    mapped[roleName] = out;
  }
  return mapped as unknown as StoreRoles;
}

/** The roles with every method queued on `queue`. */
export function serialRoles(roles: StoreRoles, queue: SerialQueue): StoreRoles {
  return mapRoleMethods(roles, (_role, _method, fn) => (...args) => queue.run(() => fn(...args)));
}
