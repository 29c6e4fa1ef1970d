/**
 * Deletes expired messages: `sweep()` removes every message whose scheduled
 * deletion time is at or before the (injected) clock's `now`, in batches of
 * `SWEEP_BATCH`, one store transaction each (`history.remove`: the row, its
 * indexes, its schedule, its sent-log copies; SQLite overwrites and
 * truncates the WAL after each batch). `arm()` sets one timer to the soonest
 * pending deletion; the schedule is in the store, so a restarted client
 * finds it again (`start()` sweeps, then arms).
 */
import type { AttachmentPointer } from '../attachments/pointer.ts';
import { decodeContent } from '../content.ts';
import type { ClientStore } from '../store/types.ts';

/** Messages removed per transaction. */
export const SWEEP_BATCH = 500;
/** Longest single timer delay (setTimeout's limit, ~24.8 days): a later deletion re-arms when it fires. */
const MAX_DELAY_MS = 0x7fffffff;

/** What a sweep deleted. */
export interface ExpiredMessages {
  /** Row ids deleted. */
  ids: number[];
  /** The conversations they were in. */
  peers: string[];
  /**
   * The attachments the deleted messages pointed to: the SDK keeps no
   * plaintext of them, but the app may (downloaded files; an unfinished
   * download's state: `AttachmentClient.cancelDownload(pointer)`) — delete those.
   */
  attachments: AttachmentPointer[];
}

/** The attachments of a stored content (undefined for none, or content that does not decode: it is deleted all the same). */
function attachmentsOf(content: Uint8Array): AttachmentPointer[] | undefined {
  try {
    return decodeContent(content).attachments;
  } catch {
    return undefined;
  }
}

export interface SweeperDeps {
  store: ClientStore;
  now: () => number;
  /** Reports what a sweep deleted (after its commit). */
  onExpired: (expired: ExpiredMessages) => void;
  onError: (error: unknown) => void;
}

export class Sweeper {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = true;
  #running: Promise<ExpiredMessages> | undefined;

  constructor(private readonly d: SweeperDeps) {}

  /** Sweeps now and keeps a timer armed to the next deletion until `stop()`. */
  async start(): Promise<ExpiredMessages> {
    this.#stopped = false;
    return this.sweep();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Deletes everything due by now; then re-arms (when started). One sweep at a time. */
  sweep(): Promise<ExpiredMessages> {
    this.#running ??= this.#sweep().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #sweep(): Promise<ExpiredMessages> {
    const out: ExpiredMessages = { ids: [], peers: [], attachments: [] };
    for (;;) {
      const batch = await this.d.store.transaction(async (tx) => {
        const ids = await tx.expirations.due(this.d.now(), SWEEP_BATCH);
        const peers = new Set<string>();
        const attachments: AttachmentPointer[] = [];
        for (const id of ids) {
          const m = await tx.history.get(id);
          if (m === undefined) continue;
          peers.add(m.peer);
          attachments.push(...(attachmentsOf(m.content) ?? []));
        }
        await tx.history.remove(ids);
        return { ids, peers: [...peers], attachments };
      });
      if (batch.ids.length === 0) break;
      out.ids.push(...batch.ids);
      out.attachments.push(...batch.attachments);
      for (const p of batch.peers) if (!out.peers.includes(p)) out.peers.push(p);
      if (batch.ids.length < SWEEP_BATCH) break;
    }
    if (out.ids.length > 0) this.d.onExpired(out);
    await this.arm();
    return out;
  }

  /** (Re)sets the timer to the soonest scheduled deletion (no-op before `start()`). */
  async arm(): Promise<void> {
    if (this.#stopped) return;
    const next = await this.d.store.expirations.next();
    if (this.#stopped) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (next === undefined) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, next - this.d.now()));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.sweep().catch(this.d.onError);
    }, delay);
    (this.#timer as { unref?: () => void }).unref?.();
  }
}
