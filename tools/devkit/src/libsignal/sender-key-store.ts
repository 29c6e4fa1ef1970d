/**
 * An in-memory libsignal-client 0.90.0 `SenderKeyStore`: records keyed by
 * (sender `name.deviceId`, distribution id) and kept serialized, so every
 * load hands libsignal a fresh object and the raw bytes can be moved to and
 * from Sealpost's `SenderKeyRecord` codec.
 *
 * Dev-only (libsignal-client is AGPL).
 */
import { type ProtocolAddress, SenderKeyRecord, SenderKeyStore } from '@signalapp/libsignal-client';
import { ab } from './fixed-keys.ts';
import { addressKey } from './stores.ts';

export class InMemorySenderKeyStore extends SenderKeyStore {
  private readonly records = new Map<string, Uint8Array>();

  private static key(sender: ProtocolAddress, distributionId: string): string {
    return `${addressKey(sender)}/${distributionId.toLowerCase()}`;
  }

  async saveSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord): Promise<void> {
    this.records.set(InMemorySenderKeyStore.key(sender, distributionId), record.serialize());
  }

  async getSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | null> {
    const bytes = this.records.get(InMemorySenderKeyStore.key(sender, distributionId));
    return bytes === undefined ? null : SenderKeyRecord.deserialize(ab(bytes));
  }

  /** The stored record bytes (a copy), or undefined. */
  recordBytes(sender: ProtocolAddress, distributionId: string): Uint8Array | undefined {
    return this.records.get(InMemorySenderKeyStore.key(sender, distributionId))?.slice();
  }

  /** Stores record bytes made elsewhere (e.g. by Sealpost). */
  putRecordBytes(sender: ProtocolAddress, distributionId: string, bytes: Uint8Array): void {
    this.records.set(InMemorySenderKeyStore.key(sender, distributionId), bytes.slice());
  }
}
