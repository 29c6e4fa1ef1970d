/**
 * Who is waiting for which updates to be sequenced and witnessed: an
 * `enqueue` waits for its `kt_pending` ids, account creation and handle
 * claims for a label. A waiter learns its position when its ids leave the
 * pending table (a batch of this instance, or another instance's seen by a
 * follow) or a version of its label appears, and resolves once a witnessed
 * checkpoint covers that position — or when its timeout ends the wait.
 */

/** How an enqueue or a wait for a label ended. */
export interface KtSettled {
  /** In a log entry (its position) … */
  sequenced: boolean;
  position?: number;
  /** … and in a checkpoint a witness quorum cosigned (always true without witnesses). */
  witnessed: boolean;
}

interface Waiter {
  labels: Set<string>;
  ids: Set<number>;
  position: number | undefined;
  resolve(s: KtSettled): void;
  timer: NodeJS.Timeout;
}

export class KtWaiters {
  private readonly all = new Set<Waiter>();

  constructor(
    private readonly timeoutMs: number,
    /** True once a witnessed checkpoint includes the entry at `position`. */
    private readonly witnessed: (position: number) => boolean,
  ) {}

  /** Waits for pending `ids` and/or versions of `labels` (hex). */
  wait(labels: Set<string>, ids: Set<number>): Promise<KtSettled> {
    return new Promise((resolve) => {
      const w: Waiter = { labels, ids, position: undefined, resolve, timer: setTimeout(() => this.finish(w), this.timeoutMs) };
      this.all.add(w);
    });
  }

  /** The pending ids someone waits for. */
  pendingIds(): number[] {
    return [...this.all].flatMap((w) => [...w.ids]);
  }

  /** Versions of these labels (hex → position) are in the log. */
  labelsAt(labels: ReadonlyMap<string, number>): void {
    for (const w of this.all) {
      for (const l of w.labels) {
        const at = labels.get(l);
        if (at !== undefined) w.position = Math.max(w.position ?? 0, at);
      }
    }
  }

  /** The pending ids for which `gone` is true were sequenced at or before `position`. */
  idsAt(position: number, gone: (id: number) => boolean): void {
    for (const w of this.all) {
      let hit = false;
      for (const id of [...w.ids]) if (gone(id) && w.ids.delete(id)) hit = true;
      if (hit) w.position = Math.max(w.position ?? 0, position);
    }
  }

  /** Resolves the waiters whose updates are sequenced and witnessed. */
  settle(): void {
    for (const w of this.all) if (w.position !== undefined && w.ids.size === 0 && this.witnessed(w.position)) this.finish(w);
  }

  /** Resolves every waiter as it stands. */
  finishAll(): void {
    for (const w of [...this.all]) this.finish(w);
  }

  private finish(w: Waiter): void {
    if (!this.all.delete(w)) return;
    clearTimeout(w.timer);
    const sequenced = w.position !== undefined && w.ids.size === 0;
    const witnessed = sequenced && this.witnessed(w.position!);
    w.resolve({ sequenced, witnessed, ...(sequenced ? { position: w.position! } : {}) });
  }
}
