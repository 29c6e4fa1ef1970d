/**
 * What happens when this device marks messages read (a `ReadListener`):
 * after the marking committed, ONE batched read `Receipt` per author account
 * (split at `MAX_RECEIPT_TARGETS`) to that account's devices — for a 1:1
 * conversation the peer, for group messages each message's author, 1:1 — unless
 * read receipts are switched off; and, always, a `ReadSync` (split at
 * `MAX_READ_SYNC_REFS`) to this account's other devices, which mark the same
 * messages read without telling anyone again (`origin: 'sync'`).
 */
import { decodeContent, encodeContent, type MessageRef } from '../content.ts';
import type { MessagesRead, ReadListener } from '../read-state.ts';
import { receiptContents } from '../receipts/receipts.ts';
import type { SettingsStore, StoredMessage } from '../store/types.ts';
import { MAX_READ_SYNC_REFS } from './read-sync-codec.ts';

/** The settings key of the runtime read-receipt switch (`'on'` / `'off'`; absent: the client option). */
export const READ_RECEIPTS_SETTING = 'conversations.readReceipts';

/** What the read listener needs. */
export interface ReadReceiptDeps {
  /** This device's account. */
  ownAccount: () => string;
  now: () => number;
  /** Sends an encoded `Content` to every (other) device of `account` on the 1:1 sessions (`Outgoing.sendContent`). */
  sendContent: (account: string, plaintext: Uint8Array, timestamp: number) => Promise<unknown>;
  /** The `readReceipts` client option (default true). */
  defaultEnabled: boolean;
  onError: (error: unknown) => void;
}

/** True when read receipts are on: the persisted switch, else the client option. */
export async function readReceiptsEnabled(settings: SettingsStore, defaultEnabled: boolean): Promise<boolean> {
  const stored = await settings.get(READ_RECEIPTS_SETTING);
  return stored === undefined ? defaultEnabled : stored === 'on';
}

/** The reference other devices know `m` by. */
function refOf(m: StoredMessage): MessageRef {
  const ref: MessageRef = { author: m.sender.account, timestamp: m.timestamp };
  try {
    const messageId = decodeContent(m.content).messageId;
    if (messageId !== undefined) ref.messageId = messageId;
  } catch {
    // A stored row always decodes; a reference by author and timestamp is enough anyway.
  }
  return ref;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The read listener: decides inside the marking transaction, sends after it committed. */
export function readReceiptListener(d: ReadReceiptDeps): ReadListener {
  return async (tx, read: MessagesRead) => {
    if (read.origin === 'sync') return; // another of our devices read them: it told everyone already
    const own = d.ownAccount();
    const refs = read.messages.filter((m) => m.direction === 'in' && m.sender.account !== own).map(refOf);
    if (refs.length === 0) return;
    const receipts = await readReceiptsEnabled(tx.settings, d.defaultEnabled);
    const byAuthor = new Map<string, MessageRef[]>();
    for (const ref of refs) byAuthor.set(ref.author, [...(byAuthor.get(ref.author) ?? []), ref]);
    return async () => {
      const timestamp = d.now();
      const send = (account: string, plaintext: Uint8Array) => d.sendContent(account, plaintext, timestamp).catch(d.onError);
      if (receipts) {
        for (const [author, targets] of byAuthor) {
          for (const { plaintext } of receiptContents('read', targets, () => timestamp)) await send(author, plaintext);
        }
      }
      for (const batch of chunks(refs, MAX_READ_SYNC_REFS)) await send(own, encodeContent({ timestamp, readSync: { read: batch } }));
    };
  };
}
