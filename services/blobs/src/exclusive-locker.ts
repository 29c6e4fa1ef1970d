/**
 * A tus Locker that never cancels the holder, as @tus/server's MemoryLocker
 * does: a second request waits up to `waitMs` for the lock and then gets
 * 423. With MemoryLocker two concurrent PATCHes can both lose (the first is
 * aborted mid-write, the second then sees a moved offset); here exactly one
 * wins — the other gets 423, or 409 once the winner has moved the offset.
 */
import type { Lock, Locker } from '@tus/server';
import { errorBody } from './errors.ts';

export class ExclusiveLocker implements Locker {
  private readonly held = new Set<string>();

  constructor(private readonly waitMs = 1000) {}

  newLock(id: string): Lock {
    let mine = false;
    return {
      lock: async () => {
        for (let waited = 0; this.held.has(id) && waited < this.waitMs; waited += 10) await new Promise((r) => setTimeout(r, 10));
        if (this.held.has(id)) throw { status_code: 423, body: errorBody('LOCKED', 'another request is writing this upload') };
        this.held.add(id);
        mine = true;
      },
      unlock: async () => {
        if (mine) this.held.delete(id);
        mine = false;
      },
    };
  }
}
