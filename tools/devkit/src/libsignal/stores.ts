/**
 * In-memory implementations of every store libsignal-client 0.90.0 asks for,
 * so the real, independently written peer can run inside our tests and the
 * benchmark.
 *
 * Dev-only: libsignal-client is AGPL and must never be imported from src/ of
 * a shipped package. Records are kept serialized by default (every read hands
 * libsignal a fresh object and a "reset" is a plain delete); see
 * `RecordKeeping` for the benchmark's `live` mode.
 */
import {
  Direction,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyRecord,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore,
} from '@signalapp/libsignal-client';
import { RecordMap, type RecordKeeping } from './record-map.ts';

export type { RecordKeeping } from './record-map.ts';

/** Map key for an address: `name.deviceId`, as libsignal prints it. */
export function addressKey(address: ProtocolAddress): string {
  return `${address.name()}.${address.deviceId()}`;
}

/** Sessions by address. */
export class InMemorySessionStore extends SessionStore {
  private readonly sessions: RecordMap<string, SessionRecord>;

  constructor(keeping: RecordKeeping = 'serialized') {
    super();
    this.sessions = new RecordMap(keeping, (bytes) => SessionRecord.deserialize(bytes));
  }

  async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.sessions.set(addressKey(name), record);
  }

  async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    return this.sessions.get(addressKey(name)) ?? null;
  }

  async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return addresses.map((address) => {
      const record = this.sessions.get(addressKey(address));
      if (record === undefined) throw new Error(`no session for ${addressKey(address)}`);
      return record;
    });
  }

  /** Serialized record for `address`, or undefined (for byte-level checks). */
  rawSession(address: ProtocolAddress): Uint8Array<ArrayBuffer> | undefined {
    return this.sessions.bytes(addressKey(address));
  }

  /** Forgets the session with `address`, as a reinstalled app would. */
  deleteSession(address: ProtocolAddress): void {
    this.sessions.delete(addressKey(address));
  }
}

/**
 * Our identity plus the remote identities we have seen. Trust on first use:
 * a known address presenting a different key is untrusted, which is the
 * behaviour the identity-key checks of the interop tests rely on.
 */
export class InMemoryIdentityKeyStore extends IdentityKeyStore {
  private readonly identities = new Map<string, PublicKey>();
  private readonly identity: IdentityKeyPair;

  constructor(
    identityPrivateKey: PrivateKey,
    private readonly registrationId: number,
  ) {
    super();
    this.identity = new IdentityKeyPair(identityPrivateKey.getPublicKey(), identityPrivateKey);
  }

  async getIdentityKey(): Promise<PrivateKey> {
    return this.identity.privateKey;
  }

  /** The pair made once (the base class would re-derive the public key on every call). */
  override async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return this.identity;
  }

  async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }

  async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const k = addressKey(name);
    const existing = this.identities.get(k);
    this.identities.set(k, key);
    return existing !== undefined && !existing.equals(key)
      ? IdentityChange.ReplacedExisting
      : IdentityChange.NewOrUnchanged;
  }

  async isTrustedIdentity(name: ProtocolAddress, key: PublicKey, _direction: Direction): Promise<boolean> {
    const existing = this.identities.get(addressKey(name));
    return existing === undefined || existing.equals(key);
  }

  async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    return this.identities.get(addressKey(name)) ?? null;
  }

  /** Forgets a remote identity (so a peer with a new identity is trusted again). */
  forgetIdentity(name: ProtocolAddress): void {
    this.identities.delete(addressKey(name));
  }
}

/** One-time EC prekeys; libsignal removes each after its first use. */
export class InMemoryPreKeyStore extends PreKeyStore {
  private readonly records: RecordMap<number, PreKeyRecord>;
  /** Ids libsignal removed after consuming them, in order. */
  readonly removed: number[] = [];

  constructor(keeping: RecordKeeping = 'serialized') {
    super();
    this.records = new RecordMap(keeping, (bytes) => PreKeyRecord.deserialize(bytes));
  }

  async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.records.set(id, record);
  }

  async getPreKey(id: number): Promise<PreKeyRecord> {
    const record = this.records.get(id);
    if (record === undefined) throw new Error(`no prekey with id ${id}`);
    return record;
  }

  async removePreKey(id: number): Promise<void> {
    this.records.delete(id);
    this.removed.push(id);
  }

  has(id: number): boolean {
    return this.records.has(id);
  }
}

/** Signed EC prekeys. */
export class InMemorySignedPreKeyStore extends SignedPreKeyStore {
  private readonly records: RecordMap<number, SignedPreKeyRecord>;

  constructor(keeping: RecordKeeping = 'serialized') {
    super();
    this.records = new RecordMap(keeping, (bytes) => SignedPreKeyRecord.deserialize(bytes));
  }

  async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.records.set(id, record);
  }

  async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const record = this.records.get(id);
    if (record === undefined) throw new Error(`no signed prekey with id ${id}`);
    return record;
  }
}

/**
 * Kyber prekeys, never removed (each acts as a last-resort key); records
 * which (id, signed id, base key) uses libsignal reported.
 */
export class InMemoryKyberPreKeyStore extends KyberPreKeyStore {
  private readonly records: RecordMap<number, KyberPreKeyRecord>;
  /** Every `markKyberPreKeyUsed` call, in order. */
  readonly used: { kyberPreKeyId: number; signedPreKeyId: number; baseKey: Uint8Array }[] = [];

  constructor(keeping: RecordKeeping = 'serialized') {
    super();
    this.records = new RecordMap(keeping, (bytes) => KyberPreKeyRecord.deserialize(bytes));
  }

  async saveKyberPreKey(kyberPreKeyId: number, record: KyberPreKeyRecord): Promise<void> {
    this.records.set(kyberPreKeyId, record);
  }

  async getKyberPreKey(kyberPreKeyId: number): Promise<KyberPreKeyRecord> {
    const record = this.records.get(kyberPreKeyId);
    if (record === undefined) throw new Error(`no kyber prekey with id ${kyberPreKeyId}`);
    return record;
  }

  async markKyberPreKeyUsed(kyberPreKeyId: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void> {
    this.used.push({ kyberPreKeyId, signedPreKeyId, baseKey: baseKey.serialize() });
  }
}
