/** The in-memory roles of groups (see `GroupStore`, `SenderKeyStore`), on `MemoryStore`'s undo-logged maps. */
import { addressKey, type DeviceAddress, type GroupStore, type SenderKeyStore, type StoredGroup } from './types.ts';

/** What the roles need of `MemoryStore`'s tables: the maps and the undo-logged write. */
export interface MemoryGroupTables {
  readonly groups: Map<string, StoredGroup>;
  /** Key: group id + ':' + epoch. */
  readonly groupChanges: Map<string, { groupId: string; epoch: number; change: Uint8Array }>;
  /** Key: address key + '/' + distribution id. */
  readonly senderKeys: Map<string, Uint8Array>;
  setMap<K, V>(map: Map<K, V>, key: K, value: V | undefined): void;
}

const copyGroup = (g: StoredGroup): StoredGroup => ({
  ...g,
  change: g.change.slice(),
  sharedWith: g.sharedWith.map((d) => ({ ...d })),
  conflict: g.conflict === undefined ? undefined : { epoch: g.conflict.epoch, hash: g.conflict.hash.slice() },
});

export class MemoryGroups implements GroupStore {
  constructor(private readonly t: MemoryGroupTables) {}
  async get(groupId: string) {
    const g = this.t.groups.get(groupId);
    return g === undefined ? undefined : copyGroup(g);
  }
  async put(g: StoredGroup) {
    this.t.setMap(this.t.groups, g.groupId, copyGroup(g));
  }
  async list() {
    return [...this.t.groups.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : 1)).map(copyGroup);
  }
  async addChange(groupId: string, epoch: number, change: Uint8Array) {
    const key = `${groupId}:${epoch}`;
    if (!this.t.groupChanges.has(key)) this.t.setMap(this.t.groupChanges, key, { groupId, epoch, change: change.slice() });
  }
  async change(groupId: string, epoch: number) {
    return this.t.groupChanges.get(`${groupId}:${epoch}`)?.change.slice();
  }
  async changesAfter(groupId: string, epoch: number, limit: number) {
    return [...this.t.groupChanges.values()]
      .filter((c) => c.groupId === groupId && c.epoch > epoch)
      .sort((a, b) => a.epoch - b.epoch)
      .slice(0, limit)
      .map((c) => c.change.slice());
  }
}

export class MemorySenderKeys implements SenderKeyStore {
  constructor(private readonly t: MemoryGroupTables) {}
  async load(a: DeviceAddress, distributionId: string) {
    return this.t.senderKeys.get(`${addressKey(a)}/${distributionId}`)?.slice();
  }
  async store(a: DeviceAddress, distributionId: string, record: Uint8Array) {
    this.t.setMap(this.t.senderKeys, `${addressKey(a)}/${distributionId}`, record.slice());
  }
  async remove(a: DeviceAddress, distributionId: string) {
    this.t.setMap(this.t.senderKeys, `${addressKey(a)}/${distributionId}`, undefined);
  }
}
