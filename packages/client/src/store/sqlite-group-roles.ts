/**
 * The SQLite roles of groups (migration 5): the group records, the log of
 * their signed changes, and the sender-key records.
 */
import type { Statements } from './sqlite-roles.ts';
import type { DeviceAddress, GroupStore, SenderKeyStore, SharedWithDevice, StoredGroup } from './types.ts';

type Row = Record<string, unknown>;
const bytes = (v: unknown): Uint8Array => new Uint8Array(v as ArrayBufferLike & Uint8Array);

function toGroup(r: Row): StoredGroup {
  return {
    groupId: String(r.group_id),
    epoch: Number(r.epoch),
    change: bytes(r.change),
    distributionId: r.distribution_id === null ? undefined : String(r.distribution_id),
    distributionCreatedAt: r.distribution_created_at === null ? undefined : Number(r.distribution_created_at),
    sharedWith: JSON.parse(String(r.shared_with)) as SharedWithDevice[],
    conflict: r.conflict_epoch === null ? undefined : { epoch: Number(r.conflict_epoch), hash: bytes(r.conflict_hash) },
    updatedAt: Number(r.updated_at),
  };
}

export class SqliteGroups implements GroupStore {
  constructor(private readonly s: Statements) {}
  async get(groupId: string) {
    const r = this.s.get('SELECT * FROM groups WHERE group_id = ?').get(groupId) as Row | undefined;
    return r === undefined ? undefined : toGroup(r);
  }
  async put(g: StoredGroup) {
    const shared = JSON.stringify(g.sharedWith.map((d) => ({ account: d.account, device: d.device, registrationId: d.registrationId })));
    this.s
      .get(
        `INSERT INTO groups (group_id, epoch, change, distribution_id, distribution_created_at, shared_with, conflict_epoch, conflict_hash, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (group_id) DO UPDATE SET epoch = excluded.epoch, change = excluded.change, distribution_id = excluded.distribution_id,
           distribution_created_at = excluded.distribution_created_at, shared_with = excluded.shared_with, conflict_epoch = excluded.conflict_epoch,
           conflict_hash = excluded.conflict_hash, updated_at = excluded.updated_at`,
      )
      .run(g.groupId, g.epoch, g.change, g.distributionId ?? null, g.distributionCreatedAt ?? null, shared, g.conflict?.epoch ?? null, g.conflict?.hash ?? null, g.updatedAt);
  }
  async list() {
    return (this.s.get('SELECT * FROM groups ORDER BY group_id').all() as Row[]).map(toGroup);
  }
  async addChange(groupId: string, epoch: number, change: Uint8Array) {
    this.s.get('INSERT OR IGNORE INTO group_changes (group_id, epoch, change) VALUES (?, ?, ?)').run(groupId, epoch, change);
  }
  async change(groupId: string, epoch: number) {
    const r = this.s.get('SELECT change FROM group_changes WHERE group_id = ? AND epoch = ?').get(groupId, epoch) as Row | undefined;
    return r === undefined ? undefined : bytes(r.change);
  }
  async changesAfter(groupId: string, epoch: number, limit: number) {
    return (this.s.get('SELECT change FROM group_changes WHERE group_id = ? AND epoch > ? ORDER BY epoch LIMIT ?').all(groupId, epoch, limit) as Row[]).map((r) => bytes(r.change));
  }
}

export class SqliteSenderKeys implements SenderKeyStore {
  constructor(private readonly s: Statements) {}
  async load(a: DeviceAddress, distributionId: string) {
    const r = this.s.get('SELECT record FROM sender_keys WHERE account = ? AND device = ? AND distribution_id = ?').get(a.account, a.device, distributionId) as Row | undefined;
    return r === undefined ? undefined : bytes(r.record);
  }
  async store(a: DeviceAddress, distributionId: string, record: Uint8Array) {
    this.s
      .get('INSERT INTO sender_keys (account, device, distribution_id, record) VALUES (?, ?, ?, ?) ON CONFLICT (account, device, distribution_id) DO UPDATE SET record = excluded.record')
      .run(a.account, a.device, distributionId, record);
  }
  async remove(a: DeviceAddress, distributionId: string) {
    this.s.get('DELETE FROM sender_keys WHERE account = ? AND device = ? AND distribution_id = ?').run(a.account, a.device, distributionId);
  }
}
