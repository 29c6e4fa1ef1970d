/**
 * In-memory implementations of every store libsignal-client 0.90.0 asks for,
 * so the real, independently written peer can run inside our tests.
 *
 * Test-only: libsignal-client is AGPL and must never be imported from src/.
 * Records are kept serialized (as libsignal's own apps persist them), so every
 * read hands libsignal a fresh object and a "reset" is a plain delete.
 */
import {
  Direction,
  IdentityChange,
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

/** Map key for an address: `name.deviceId`, as libsignal prints it. */
export function addressKey(address: ProtocolAddress): string {
  return `${address.name()}.${address.deviceId()}`;
}

/** Sessions by address, stored as serialized `SessionRecord` bytes. */
export class InMemorySessionStore extends SessionStore {
  private readonly sessions = new Map<string, Uint8Array<ArrayBuffer>>();

  async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.sessions.set(addressKey(name), record.serialize());
  }

  async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    const bytes = this.sessions.get(addressKey(name));
    return bytes === undefined ? null : SessionRecord.deserialize(bytes);
  }

  async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return addresses.map((address) => {
      const bytes = this.sessions.get(addressKey(address));
      if (bytes === undefined) throw new Error(`no session for ${addressKey(address)}`);
      return SessionRecord.deserialize(bytes);
    });
  }

  /** Serialized record for `address`, or undefined (for byte-level checks). */
  rawSession(address: ProtocolAddress): Uint8Array<ArrayBuffer> | undefined {
    return this.sessions.get(addressKey(address));
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

  constructor(
    private readonly identityPrivateKey: PrivateKey,
    private readonly registrationId: number,
  ) {
    super();
  }

  async getIdentityKey(): Promise<PrivateKey> {
    return this.identityPrivateKey;
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
  private readonly records = new Map<number, Uint8Array<ArrayBuffer>>();
  /** Ids libsignal removed after consuming them, in order. */
  readonly removed: number[] = [];

  async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.records.set(id, record.serialize());
  }

  async getPreKey(id: number): Promise<PreKeyRecord> {
    const bytes = this.records.get(id);
    if (bytes === undefined) throw new Error(`no prekey with id ${id}`);
    return PreKeyRecord.deserialize(bytes);
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
  private readonly records = new Map<number, Uint8Array<ArrayBuffer>>();

  async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.records.set(id, record.serialize());
  }

  async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const bytes = this.records.get(id);
    if (bytes === undefined) throw new Error(`no signed prekey with id ${id}`);
    return SignedPreKeyRecord.deserialize(bytes);
  }
}

/** Kyber prekeys; records which (id, signed id, base key) uses libsignal reported. */
export class InMemoryKyberPreKeyStore extends KyberPreKeyStore {
  private readonly records = new Map<number, Uint8Array<ArrayBuffer>>();
  /** Every `markKyberPreKeyUsed` call, in order. */
  readonly used: { kyberPreKeyId: number; signedPreKeyId: number; baseKey: Uint8Array }[] = [];

  async saveKyberPreKey(kyberPreKeyId: number, record: KyberPreKeyRecord): Promise<void> {
    this.records.set(kyberPreKeyId, record.serialize());
  }

  async getKyberPreKey(kyberPreKeyId: number): Promise<KyberPreKeyRecord> {
    const bytes = this.records.get(kyberPreKeyId);
    if (bytes === undefined) throw new Error(`no kyber prekey with id ${kyberPreKeyId}`);
    return KyberPreKeyRecord.deserialize(bytes);
  }

  async markKyberPreKeyUsed(kyberPreKeyId: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void> {
    this.used.push({ kyberPreKeyId, signedPreKeyId, baseKey: baseKey.serialize() });
  }
}
