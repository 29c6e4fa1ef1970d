/**
 * The key-material roles of `KvStore` over one `KvTransaction`: sessions,
 * identities, the three prekey tables, settings and contacts. Layout (first
 * key part = table): `session/account/device`, `local`, `identity/account`,
 * `prekey/kind/id`, `kyberUse/kyberId/signedId/baseKeyHex`,
 * `counter/name`, `setting/key`, `contact/account`. Semantics follow
 * `MemoryStore` and `SqliteStore` (store.test.ts runs all three).
 */
import { ClientError, KyberPreKeyReplayError } from '../../errors.ts';
import {
  MAX_PREKEY_ID,
  type Contact,
  type ContactStore,
  type DeviceAddress,
  type IdentityStore,
  type KyberPreKeyStore,
  type KyberPreKeyUse,
  type LocalAccount,
  type PreKeyKind,
  type SessionStore,
  type SettingsStore,
  type SignedPreKeyStore,
  type StoredPreKey,
  type TrustedIdentity,
} from '../types.ts';
import type { KvTransaction } from './overlay.ts';

export const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export class KvSessions implements SessionStore {
  constructor(private readonly tx: KvTransaction) {}
  load(a: DeviceAddress) {
    return this.tx.get<Uint8Array>(['session', a.account, a.device]);
  }
  async store(a: DeviceAddress, record: Uint8Array) {
    this.tx.put(['session', a.account, a.device], record);
  }
  async remove(a: DeviceAddress) {
    this.tx.delete(['session', a.account, a.device]);
  }
  async devices(account: string) {
    return (await this.tx.scanKeys(['session', account])).map((k) => Number(k[2]));
  }
}

export class KvIdentities implements IdentityStore {
  constructor(private readonly tx: KvTransaction) {}
  localAccount() {
    return this.tx.get<LocalAccount>(['local']);
  }
  async setLocalAccount(account: LocalAccount) {
    this.tx.put(['local'], { ...account });
  }
  trusted(account: string) {
    return this.tx.get<TrustedIdentity>(['identity', account]);
  }
  async trust(account: string, identityKey: Uint8Array, now: number, verified = false) {
    this.tx.put(['identity', account], { identityKey, trustedAt: now, verified } satisfies TrustedIdentity);
  }
}

export class KvPreKeys implements SignedPreKeyStore {
  constructor(
    protected readonly tx: KvTransaction,
    protected readonly kind: PreKeyKind,
  ) {}
  load(id: number) {
    return this.tx.get<StoredPreKey>(['prekey', this.kind, id]);
  }
  async store(key: StoredPreKey) {
    this.tx.put(['prekey', this.kind, key.id], { ...key, kind: this.kind });
  }
  async remove(id: number) {
    this.tx.delete(['prekey', this.kind, id]);
  }
  async list() {
    return (await this.tx.scan<StoredPreKey>(['prekey', this.kind])).map(([, k]) => k).sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  }
  async markReplaced(id: number, replacedAt: number) {
    const k = await this.load(id);
    if (k !== undefined && k.replacedAt === undefined) this.tx.put(['prekey', this.kind, id], { ...k, replacedAt });
  }
  async allocateIds(count: number) {
    const counter: ['counter', string] = ['counter', `prekey.${this.kind}`];
    let next = (await this.tx.get<number>(counter)) ?? 1;
    const used = new Set((await this.tx.scanKeys(['prekey', this.kind])).map((k) => Number(k[2])));
    const ids: number[] = [];
    let scanned = 0;
    while (ids.length < count) {
      if (++scanned > MAX_PREKEY_ID) throw new ClientError('INVALID_DATA', `no free ${this.kind} prekey ids left`);
      if (!used.has(next)) ids.push(next);
      next = next >= MAX_PREKEY_ID ? 1 : next + 1;
    }
    this.tx.put(counter, next);
    return ids;
  }
}

export class KvKyberPreKeys extends KvPreKeys implements KyberPreKeyStore {
  constructor(tx: KvTransaction) {
    super(tx, 'kyber');
  }
  override async remove(id: number) {
    await super.remove(id);
    for (const k of await this.tx.scanKeys(['kyberUse', id])) this.tx.delete(k);
  }
  async markKyberPreKeyUsed(kyberPreKeyId: number, signedPreKeyId: number, baseKey: Uint8Array): Promise<KyberPreKeyUse> {
    const k = await this.load(kyberPreKeyId);
    if (k !== undefined && !k.lastResort) {
      await super.remove(kyberPreKeyId);
      return 'removed';
    }
    const use = ['kyberUse', kyberPreKeyId, signedPreKeyId, hexOf(baseKey)] as const;
    if (await this.tx.has(use)) throw new KyberPreKeyReplayError(kyberPreKeyId, signedPreKeyId);
    this.tx.put(use, true);
    return 'recorded';
  }
}

export class KvSettings implements SettingsStore {
  constructor(private readonly tx: KvTransaction) {}
  get(key: string) {
    return this.tx.get<string>(['setting', key]);
  }
  async set(key: string, value: string) {
    this.tx.put(['setting', key], value);
  }
}

export class KvContacts implements ContactStore {
  constructor(private readonly tx: KvTransaction) {}
  get(account: string) {
    return this.tx.get<Contact>(['contact', account]);
  }
  async set(contact: Contact) {
    this.tx.put(['contact', contact.account], { ...contact });
  }
}
