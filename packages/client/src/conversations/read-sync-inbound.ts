/**
 * Receiving side of the conversations part, inside the envelope's
 * transaction: a `ReadSync` from one of this account's other devices marks
 * the messages it names read here through the same marking as `markRead`
 * (`ReadState.markReadIn`, `origin: 'sync'`, so no receipt or read sync is
 * sent again), up to the newest named message of each conversation. Neither
 * it nor a read sync claiming to come from another account is stored as a
 * chat message (the latter is ignored).
 */
import type { MessageContent } from '../content.ts';
import type { OpenedEnvelope } from '../incoming.ts';
import type { ReadState } from '../read-state.ts';
import type { StoreTransaction } from '../store/types.ts';

/** What the envelope's transaction does with a read sync: nothing is stored; `after` runs after the commit. */
export interface ReadSyncInbound {
  after: () => Promise<void>;
}

/** What applying a read sync needs. */
export interface ReadSyncDeps {
  readState: ReadState;
  /** Emits `messagesRead` for what the sync marked. */
  emitRead: (event: { peer: string; ids: number[]; readAt: number }) => void;
}

/** Applies `content.readSync` (when present) in `tx`; undefined for any other content. */
export async function applyReadSync(d: ReadSyncDeps, tx: StoreTransaction, opened: OpenedEnvelope, content: MessageContent, now: number): Promise<ReadSyncInbound | undefined> {
  if (content.readSync === undefined) return undefined;
  if (!opened.fromSelf) return { after: async () => {} };
  const upTo = new Map<string, number>();
  for (const ref of content.readSync.read) {
    for (const m of await tx.conversations.locate(ref.author, ref.timestamp)) {
      if (m.direction === 'in') upTo.set(m.peer, Math.max(upTo.get(m.peer) ?? 0, m.id));
    }
  }
  const events: { peer: string; ids: number[]; readAt: number }[] = [];
  const after: (() => Promise<void>)[] = [];
  for (const [peer, id] of upTo) {
    const marked = await d.readState.markReadIn(tx, peer, id, now, 'sync');
    if (marked.read.messages.length > 0) events.push({ peer, ids: marked.read.messages.map((m) => m.id), readAt: now });
    after.push(...marked.after);
  }
  return {
    after: async () => {
      await d.readState.runAfter(after);
      for (const e of events) d.emitRead(e);
    },
  };
}
