/**
 * Both ends of the archive in the store: the primary's snapshot (one
 * transaction: the newest rows within the bounds plus the contacts they
 * name) and the new device's import (one transaction: rows it does not hold
 * yet, in archive order, and contacts it does not know or knows older).
 */
import { equalBytes } from '@sealpost/protocol/primitives';
import { decodeContent } from '../content.ts';
import type { ClientStore, Contact, StoreTransaction, StoredMessage } from '../store/types.ts';
import type { Archive, ArchiveRow } from './archive.ts';

/** The primary's archive of its recent history. */
export async function snapshotHistory(store: ClientStore, bounds: { maxMessages: number; since: number }, now: number): Promise<Archive> {
  return store.transaction(async (tx) => {
    // Disappearing messages stay behind: the new device would hold them past their timer.
    const stored = (bounds.maxMessages <= 0 ? [] : await tx.history.recent(bounds.maxMessages, bounds.since)).filter((m) => !isDisappearing(m.content));
    const peers = new Set(stored.map((m) => m.peer));
    const contacts: Contact[] = [];
    for (const peer of peers) {
      const c = await tx.contacts.get(peer);
      if (c !== undefined) contacts.push(c);
    }
    return { createdAt: now, rows: stored.map(rowOf), contacts };
  });
}

/** True for a message sent under a disappearing-messages timer (its content carries one). */
function isDisappearing(content: Uint8Array): boolean {
  try {
    return (decodeContent(content).expireTimer?.seconds ?? 0) > 0;
  } catch {
    return false;
  }
}

function rowOf(m: StoredMessage): ArchiveRow {
  const row: ArchiveRow = { peer: m.peer, sender: { account: m.sender.account, device: m.sender.device }, timestamp: m.timestamp, direction: m.direction, content: m.content, storedAt: m.storedAt };
  if (m.readAt !== undefined) row.readAt = m.readAt;
  return row;
}

function sameKey(r: { sender: { account: string; device: number }; timestamp: number; direction: string }): string {
  return `${r.sender.account}.${r.sender.device}.${r.timestamp}.${r.direction}`;
}

/**
 * Imports `archive` inside the caller's transaction. A row already held
 * (same peer, sender device, timestamp, direction and exactly the same
 * content bytes) is skipped, so a repeated transfer adds nothing.
 */
export async function importArchive(tx: StoreTransaction, archive: Archive): Promise<{ imported: number; skipped: number }> {
  const held = new Map<string, Map<string, Uint8Array[]>>();
  const heldOf = async (peer: string) => {
    let byKey = held.get(peer);
    if (byKey === undefined) {
      byKey = new Map();
      for (const m of await tx.history.conversation(peer, Number.MAX_SAFE_INTEGER)) {
        const k = sameKey(m);
        byKey.set(k, [...(byKey.get(k) ?? []), m.content]);
      }
      held.set(peer, byKey);
    }
    return byKey;
  };
  let imported = 0;
  let skipped = 0;
  for (const row of archive.rows) {
    const byKey = await heldOf(row.peer);
    const k = sameKey(row);
    const same = byKey.get(k) ?? [];
    if (same.some((c) => equalBytes(c, row.content))) {
      skipped++;
      continue;
    }
    await tx.history.add({ direction: row.direction, peer: row.peer, sender: row.sender, timestamp: row.timestamp, content: row.content, envelopeId: undefined, storedAt: row.storedAt, delivered: true, readAt: row.readAt });
    byKey.set(k, [...same, row.content]);
    imported++;
  }
  for (const c of archive.contacts) {
    const known = await tx.contacts.get(c.account);
    if (known === undefined || known.updatedAt < c.updatedAt) await tx.contacts.set(c);
  }
  return { imported, skipped };
}
