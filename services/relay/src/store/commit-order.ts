/**
 * Resolves a process's enqueues to one device in `seq` order. PostgreSQL
 * serializes enqueues to a device (its depth row is locked), so a device's
 * rows are committed in `seq` order — but the COMMIT answers of two
 * connections may reach this process the other way round (the first
 * backend can be descheduled between releasing its locks and answering).
 * The WebSocket push hands each device its committed rows in the order the
 * enqueues resolve and skips a row below one it already sent, so a later
 * commit waits here until every earlier one of this process to the same
 * device has resolved.
 *
 * The database itself never shows a gap: a row with a higher `seq` is
 * inserted only after every lower one of its device was committed.
 */

/** One enqueue between its insert and its resolution. */
export interface CommitTicket {
  readonly lowest: ReadonlyMap<string, number>;
  readonly settled: Promise<void>;
  settle(): void;
}

export class DeviceCommitOrder {
  private readonly open = new Map<string, Set<CommitTicket>>();

  /** Registers the rows an enqueue inserted (device key and seq each), right after the insert answered. */
  register(rows: ReadonlyArray<{ key: string; seq: number }>): CommitTicket {
    const lowest = new Map<string, number>();
    for (const r of rows) lowest.set(r.key, Math.min(r.seq, lowest.get(r.key) ?? Number.POSITIVE_INFINITY));
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const ticket: CommitTicket = { lowest, settled, settle };
    for (const key of lowest.keys()) {
      let set = this.open.get(key);
      if (set === undefined) this.open.set(key, (set = new Set()));
      set.add(ticket);
    }
    return ticket;
  }

  /** Waits until every earlier-seq enqueue of this process to the ticket's devices has resolved (and its caller ran). */
  async turn(ticket: CommitTicket): Promise<void> {
    const earlier: Promise<void>[] = [];
    for (const [key, seq] of ticket.lowest) {
      for (const other of this.open.get(key) ?? []) if (other !== ticket && other.lowest.get(key)! < seq) earlier.push(other.settled);
    }
    if (earlier.length === 0) return;
    await Promise.all(earlier);
    // Let the earlier enqueues' callers finish their synchronous hand-off first.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** The enqueue resolved or failed. */
  release(ticket: CommitTicket): void {
    for (const key of ticket.lowest.keys()) {
      const set = this.open.get(key);
      set?.delete(ticket);
      if (set?.size === 0) this.open.delete(key);
    }
    ticket.settle();
  }
}
