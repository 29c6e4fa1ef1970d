/**
 * One process's enqueues to a device run one after another, in the order
 * they were asked for. PostgreSQL serializes them anyway (the device's depth
 * row is locked by each), but two answers arriving on two connections could
 * reach this process in the other order than the database committed them;
 * the WebSocket push hands a device its committed rows in the order the
 * enqueues resolve and skips a row below one it already sent. Waiting here
 * makes resolution order = issue order = `seq` order per device.
 *
 * The database itself never shows a gap: a device's row with a higher `seq`
 * is inserted only after every lower one was committed.
 */
export class DeviceSerializer {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier call naming any of `keys` has settled. */
  async run<T>(keys: Iterable<string>, fn: () => Promise<T>): Promise<T> {
    const mine = [...new Set(keys)];
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const before: Promise<void>[] = [];
    for (const k of mine) {
      const tail = this.tails.get(k);
      if (tail !== undefined) before.push(tail);
      this.tails.set(k, done);
    }
    try {
      if (before.length > 0) await Promise.all(before);
      return await fn();
    } finally {
      for (const k of mine) if (this.tails.get(k) === done) this.tails.delete(k);
      release();
    }
  }
}
