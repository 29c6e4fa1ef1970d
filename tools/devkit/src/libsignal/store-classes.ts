/**
 * In-memory libsignal-client store classes for any libsignal-client module
 * (0.103.0 today, through the `@signalapp/libsignal-client-0103` alias):
 * a store handed to one native addon must extend that addon's base classes
 * and return its record objects, so the classes are made per module. The
 * caller passes the module it imported — the SPQR interop tests import it
 * dynamically so each test process loads one native addon; the benchmark's
 * 0.103 column imports it statically.
 *
 * Sessions come in two keepings, as in ./stores.ts for 0.90: `Serialized`
 * (records held as bytes, deserialized on every load — what an app's
 * database does) and `Live` (record objects held in memory — the benchmark).
 * Kyber prekeys are last-resort (kept after use).
 *
 * Test and benchmark code only: libsignal is AGPL.
 */
import type * as Ls from '@signalapp/libsignal-client-0103';

export type LibsignalModule = typeof Ls;

/** `name.deviceId`, the key every store uses. */
export function libsignalAddressKey(a: Ls.ProtocolAddress): string {
  return `${a.name()}.${a.deviceId()}`;
}

export function libsignalStoreClasses(ls: LibsignalModule) {
  const key = libsignalAddressKey;

  class SerializedSessions extends ls.SessionStore {
    readonly records = new Map<string, Uint8Array<ArrayBuffer>>();
    async saveSession(name: Ls.ProtocolAddress, record: Ls.SessionRecord): Promise<void> {
      this.records.set(key(name), record.serialize());
    }
    async getSession(name: Ls.ProtocolAddress): Promise<Ls.SessionRecord | null> {
      const r = this.records.get(key(name));
      return r === undefined ? null : ls.SessionRecord.deserialize(r);
    }
    async getExistingSessions(addresses: Ls.ProtocolAddress[]): Promise<Ls.SessionRecord[]> {
      return addresses.map((a) => ls.SessionRecord.deserialize(this.records.get(key(a))!));
    }
  }

  class LiveSessions extends ls.SessionStore {
    readonly records = new Map<string, Ls.SessionRecord>();
    async saveSession(name: Ls.ProtocolAddress, record: Ls.SessionRecord): Promise<void> {
      this.records.set(key(name), record);
    }
    async getSession(name: Ls.ProtocolAddress): Promise<Ls.SessionRecord | null> {
      return this.records.get(key(name)) ?? null;
    }
    async getExistingSessions(addresses: Ls.ProtocolAddress[]): Promise<Ls.SessionRecord[]> {
      return addresses.map((a) => this.records.get(key(a))!);
    }
  }

  /** Trust on first use per address; a changed key is untrusted. */
  class Identities extends ls.IdentityKeyStore {
    private readonly known = new Map<string, Ls.PublicKey>();
    constructor(
      private readonly pair: Ls.IdentityKeyPair,
      private readonly regId: number,
    ) {
      super();
    }
    async getIdentityKey(): Promise<Ls.PrivateKey> {
      return this.pair.privateKey;
    }
    override async getIdentityKeyPair(): Promise<Ls.IdentityKeyPair> {
      return this.pair;
    }
    async getLocalRegistrationId(): Promise<number> {
      return this.regId;
    }
    async saveIdentity(name: Ls.ProtocolAddress, k: Ls.PublicKey): Promise<Ls.IdentityChange> {
      const old = this.known.get(key(name));
      this.known.set(key(name), k);
      return old !== undefined && !old.equals(k) ? ls.IdentityChange.ReplacedExisting : ls.IdentityChange.NewOrUnchanged;
    }
    async isTrustedIdentity(name: Ls.ProtocolAddress, k: Ls.PublicKey): Promise<boolean> {
      const old = this.known.get(key(name));
      return old === undefined || old.equals(k);
    }
    async getIdentity(name: Ls.ProtocolAddress): Promise<Ls.PublicKey | null> {
      return this.known.get(key(name)) ?? null;
    }
  }

  class PreKeys extends ls.PreKeyStore {
    readonly m = new Map<number, Ls.PreKeyRecord>();
    async savePreKey(id: number, r: Ls.PreKeyRecord): Promise<void> {
      this.m.set(id, r);
    }
    async getPreKey(id: number): Promise<Ls.PreKeyRecord> {
      return this.m.get(id)!;
    }
    async removePreKey(id: number): Promise<void> {
      this.m.delete(id);
    }
  }

  class SignedPreKeys extends ls.SignedPreKeyStore {
    readonly m = new Map<number, Ls.SignedPreKeyRecord>();
    async saveSignedPreKey(id: number, r: Ls.SignedPreKeyRecord): Promise<void> {
      this.m.set(id, r);
    }
    async getSignedPreKey(id: number): Promise<Ls.SignedPreKeyRecord> {
      return this.m.get(id)!;
    }
  }

  class KyberPreKeys extends ls.KyberPreKeyStore {
    readonly m = new Map<number, Ls.KyberPreKeyRecord>();
    async saveKyberPreKey(id: number, r: Ls.KyberPreKeyRecord): Promise<void> {
      this.m.set(id, r);
    }
    async getKyberPreKey(id: number): Promise<Ls.KyberPreKeyRecord> {
      return this.m.get(id)!;
    }
    async markKyberPreKeyUsed(): Promise<void> {}
  }

  return { SerializedSessions, LiveSessions, Identities, PreKeys, SignedPreKeys, KyberPreKeys };
}
