/**
 * What the history-transfer tests share: bulk history rows written straight
 * into a store (one transaction), a device's history in a comparable form,
 * and clients whose archives go through the fixture's blob service.
 */
import { readdirSync } from 'node:fs';
import { AttachmentClient, historyBlobsOf, type AttachmentPointer } from '../../src/attachments/index.ts';
import type { SealpostClient } from '../../src/client.ts';
import { encodeContent } from '../../src/content.ts';
import type { HistoryBlobs, HistoryTransferEvent } from '../../src/history-transfer/index.ts';
import type { StoredMessage } from '../../src/store/types.ts';
import type { LocalServicesFixture } from '../support/local-services.ts';

/** Writes `count` messages of a conversation between `own` and `peer` directly (alternating directions), timestamps from `timestampOf(i)`. */
export async function writeBulkHistory(client: SealpostClient, peer: string, count: number, timestampOf: (i: number) => number, text = (i: number) => `bulk message ${i}`): Promise<void> {
  const own = client.address;
  await client.store.transaction(async (tx) => {
    for (let i = 0; i < count; i++) {
      const out = i % 2 === 0;
      const timestamp = timestampOf(i);
      await tx.history.add({
        direction: out ? 'out' : 'in',
        peer,
        sender: out ? own : { account: peer, device: 1 },
        timestamp,
        content: encodeContent({ version: 1, timestamp, text: text(i) }),
        envelopeId: undefined,
        storedAt: timestamp + 7,
        delivered: true,
      });
    }
  });
}

/** A history row without its local id and delivery flag, content as hex: what must be equal on both devices. */
export function comparable(rows: StoredMessage[]): string[] {
  return rows.map((m) => JSON.stringify([m.peer, m.sender.account, m.sender.device, m.timestamp, m.direction, m.storedAt, m.readAt ?? null, Buffer.from(m.content).toString('hex')]));
}

/** Gives `client` the fixture's blob service for history transfer; returns the pointers it uploads. */
export function useBlobService(local: LocalServicesFixture, client: SealpostClient): AttachmentPointer[] {
  const blobs = historyBlobsOf(new AttachmentClient({ keyServer: client.keyServer, store: client.store, blobUrl: local.services.blobUrl! }));
  const uploaded: AttachmentPointer[] = [];
  const recording: HistoryBlobs = {
    upload: async (plaintext, onProgress) => {
      const pointer = await blobs.upload(plaintext, onProgress);
      uploaded.push(pointer);
      return pointer;
    },
    download: (pointer, onProgress) => blobs.download(pointer, onProgress),
  };
  client.historyTransfer.useBlobs(recording);
  return uploaded;
}

/** Every `historyTransfer` event of `client`. */
export function transferEvents(client: SealpostClient): HistoryTransferEvent[] {
  const out: HistoryTransferEvent[] = [];
  client.on('historyTransfer', (e) => out.push(e));
  return out;
}

/** The blob files (not tus records) in the blob service's directory. */
export function blobFiles(local: LocalServicesFixture): string[] {
  return readdirSync(local.services.blobDir!).filter((f) => !f.endsWith('.json'));
}
