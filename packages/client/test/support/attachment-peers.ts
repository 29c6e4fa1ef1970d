/**
 * What the client's attachment and media end-to-end tests share on top of
 * the local-services fixture: an AttachmentClient for a test client, a
 * download into memory, and two registered clients where Alice has Bob as a
 * contact.
 */
import { Writable } from 'node:stream';
import { AttachmentClient, type AttachmentPointer } from '../../src/attachments/index.ts';
import type { SealpostClient } from '../../src/client.ts';
import type { LocalServicesFixture } from './local-services.ts';

/** A writable that keeps every chunk written to it. */
export class Collect extends Writable {
  parts: Buffer[] = [];
  override _write(c: Buffer, _e: BufferEncoding, cb: () => void) {
    this.parts.push(c);
    cb();
  }
}

export interface AttachmentPeers {
  /** An AttachmentClient of `client` against the fixture's blob service (or `blobUrl`). */
  attachmentsOf(client: SealpostClient, blobUrl?: string): AttachmentClient;
  /** Downloads `pointer` as `client` into memory (verified). */
  download(client: SealpostClient, pointer: AttachmentPointer): Promise<Buffer>;
  /** Registers Alice and Bob; Alice adds Bob's contact card. */
  pair(): Promise<{ alice: SealpostClient; bob: SealpostClient }>;
}

export function attachmentPeers(local: LocalServicesFixture): AttachmentPeers {
  const attachmentsOf = (client: SealpostClient, blobUrl = local.services.blobUrl!): AttachmentClient =>
    new AttachmentClient({ keyServer: client.keyServer, store: client.store, blobUrl });
  return {
    attachmentsOf,
    download: async (client, pointer) => {
      const sink = new Collect();
      await attachmentsOf(client).download(pointer, sink);
      return Buffer.concat(sink.parts);
    },
    pair: async () => {
      const alice = local.client();
      const bob = local.client();
      await alice.register();
      await bob.register();
      await alice.addContact(bob.contactCard());
      return { alice, bob };
    },
  };
}
