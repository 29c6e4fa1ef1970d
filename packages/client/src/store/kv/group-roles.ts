/**
 * The group roles of `KvStore`: `group/groupId` (the record at its epoch),
 * `groupChange/groupId/epoch` (the signed change log, in epoch order as
 * IndexedDB orders number keys) and `senderKey/account/device/distributionId`
 * (opaque sender-key record bytes). Semantics follow `MemoryStore` and
 * `SqliteStore` (the store contract runs all three).
 */
import type { DeviceAddress, GroupStore, SenderKeyStore, StoredGroup } from '../types.ts';
import type { KvTransaction } from './overlay.ts';

export class KvGroups implements GroupStore {
  constructor(private readonly tx: KvTransaction) {}
  get(groupId: string) {
    return this.tx.get<StoredGroup>(['group', groupId]);
  }
  async put(group: StoredGroup) {
    this.tx.put(['group', group.groupId], group);
  }
  async list() {
    return (await this.tx.scan<StoredGroup>(['group'])).map(([, g]) => g);
  }
  async addChange(groupId: string, epoch: number, change: Uint8Array) {
    if (!(await this.tx.has(['groupChange', groupId, epoch]))) this.tx.put(['groupChange', groupId, epoch], change);
  }
  change(groupId: string, epoch: number) {
    return this.tx.get<Uint8Array>(['groupChange', groupId, epoch]);
  }
  async changesAfter(groupId: string, epoch: number, limit: number) {
    return (await this.tx.scan<Uint8Array>(['groupChange', groupId]))
      .filter(([k]) => Number(k[2]) > epoch)
      .slice(0, limit)
      .map(([, c]) => c);
  }
}

export class KvSenderKeys implements SenderKeyStore {
  constructor(private readonly tx: KvTransaction) {}
  load(a: DeviceAddress, distributionId: string) {
    return this.tx.get<Uint8Array>(['senderKey', a.account, a.device, distributionId]);
  }
  async store(a: DeviceAddress, distributionId: string, record: Uint8Array) {
    this.tx.put(['senderKey', a.account, a.device, distributionId], record);
  }
  async remove(a: DeviceAddress, distributionId: string) {
    this.tx.delete(['senderKey', a.account, a.device, distributionId]);
  }
}
