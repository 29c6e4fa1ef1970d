/**
 * Peer: @signalapp/libsignal-client 0.90.0 (Rust via N-API) with in-memory
 * stores, used the way an app uses it: every step goes through the async
 * store interface and messages cross as serialized bytes.
 *
 * AGPL — this file is a benchmark, never imported from src/.
 */
import {
  CiphertextMessageType,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SessionRecord,
  SessionStore,
  SignalMessage,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  processPreKeyBundle,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} from '@signalapp/libsignal-client';
import type { Conversation, Implementation, ScenarioId, Side } from './contract.ts';

/** Sessions by address, holding the record objects themselves. */
class MemorySessionStore extends SessionStore {
  readonly sessions = new Map<string, SessionRecord>();
  async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.sessions.set(name.toString(), record);
  }
  async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    return this.sessions.get(name.toString()) ?? null;
  }
  async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return addresses.map((a) => {
      const record = this.sessions.get(a.toString());
      if (record === undefined) throw new Error(`no session for ${a.toString()}`);
      return record;
    });
  }
}

/** Trust on first use; the benchmark never changes identities. */
class MemoryIdentityStore extends IdentityKeyStore {
  private readonly identities = new Map<string, PublicKey>();
  constructor(
    private readonly identity: IdentityKeyPair,
    private readonly registrationId: number,
  ) {
    super();
  }
  async getIdentityKey(): Promise<PrivateKey> {
    return this.identity.privateKey;
  }
  override async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return this.identity;
  }
  async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }
  async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const known = this.identities.get(name.toString());
    this.identities.set(name.toString(), key);
    return known !== undefined && !known.equals(key) ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged;
  }
  async isTrustedIdentity(name: ProtocolAddress, key: PublicKey): Promise<boolean> {
    const known = this.identities.get(name.toString());
    return known === undefined || known.equals(key);
  }
  async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    return this.identities.get(name.toString()) ?? null;
  }
}

class MemoryPreKeyStore extends PreKeyStore {
  readonly keys = new Map<number, PreKeyRecord>();
  async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.keys.set(id, record);
  }
  async getPreKey(id: number): Promise<PreKeyRecord> {
    const record = this.keys.get(id);
    if (record === undefined) throw new Error(`no prekey ${id}`);
    return record;
  }
  async removePreKey(id: number): Promise<void> {
    this.keys.delete(id);
  }
}

class MemorySignedPreKeyStore extends SignedPreKeyStore {
  readonly keys = new Map<number, SignedPreKeyRecord>();
  async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.keys.set(id, record);
  }
  async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const record = this.keys.get(id);
    if (record === undefined) throw new Error(`no signed prekey ${id}`);
    return record;
  }
}

/** Kyber prekeys are last-resort here (never removed), as a server hands out when one-time ones run dry. */
class MemoryKyberPreKeyStore extends KyberPreKeyStore {
  readonly keys = new Map<number, KyberPreKeyRecord>();
  async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.keys.set(id, record);
  }
  async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const record = this.keys.get(id);
    if (record === undefined) throw new Error(`no kyber prekey ${id}`);
    return record;
  }
  async markKyberPreKeyUsed(): Promise<void> {}
}

/** One party: identity plus all five stores. */
class Party {
  readonly identity = IdentityKeyPair.generate();
  readonly registrationId: number;
  readonly sessions = new MemorySessionStore();
  readonly identities: MemoryIdentityStore;
  readonly preKeys = new MemoryPreKeyStore();
  readonly signedPreKeys = new MemorySignedPreKeyStore();
  readonly kyberPreKeys = new MemoryKyberPreKeyStore();
  private nextPreKeyId = 1;

  constructor(registrationId: number) {
    this.registrationId = registrationId;
    this.identities = new MemoryIdentityStore(this.identity, registrationId);
    const signed = PrivateKey.generate();
    const signedPublic = signed.getPublicKey();
    this.signedPreKeys.keys.set(
      1,
      SignedPreKeyRecord.new(1, Date.now(), signedPublic, signed, this.identity.privateKey.sign(signedPublic.serialize())),
    );
    const kyber = KEMKeyPair.generate();
    this.kyberPreKeys.keys.set(
      1,
      KyberPreKeyRecord.new(1, Date.now(), kyber, this.identity.privateKey.sign(kyber.getPublicKey().serialize())),
    );
  }

  /** Stores a fresh one-time prekey and returns the bundle that offers it. */
  bundle(deviceId = 1): PreKeyBundle {
    const id = this.nextPreKeyId++;
    const oneTime = PrivateKey.generate();
    this.preKeys.keys.set(id, PreKeyRecord.new(id, oneTime.getPublicKey(), oneTime));
    const signed = this.signedPreKeys.keys.get(1)!;
    const kyber = this.kyberPreKeys.keys.get(1)!;
    return PreKeyBundle.new(
      this.registrationId,
      deviceId,
      id,
      oneTime.getPublicKey(),
      1,
      signed.publicKey(),
      signed.signature(),
      this.identity.publicKey,
      1,
      kyber.publicKey(),
      kyber.signature(),
    );
  }
}

interface WireMessage {
  readonly type: CiphertextMessageType;
  readonly bytes: Uint8Array<ArrayBuffer>;
}

async function encrypt(party: Party, to: ProtocolAddress, plaintext: Uint8Array): Promise<WireMessage> {
  const message = await signalEncrypt(plaintext as Uint8Array<ArrayBuffer>, to, party.sessions, party.identities);
  return { type: message.type(), bytes: message.serialize() };
}

async function decrypt(party: Party, from: ProtocolAddress, message: WireMessage): Promise<Uint8Array> {
  if (message.type === CiphertextMessageType.PreKey) {
    return signalDecryptPreKey(
      PreKeySignalMessage.deserialize(message.bytes),
      from,
      party.sessions,
      party.identities,
      party.preKeys,
      party.signedPreKeys,
      party.kyberPreKeys,
    );
  }
  return signalDecrypt(SignalMessage.deserialize(message.bytes), from, party.sessions, party.identities);
}

const HELLO = new TextEncoder().encode('hello');

/** Two parties after the full handshake (Alice → Bob prekey message, Bob's reply decrypted). */
async function handshake(): Promise<{ alice: Party; bob: Party; aliceAddress: ProtocolAddress; bobAddress: ProtocolAddress }> {
  const alice = new Party(1111);
  const bob = new Party(2222);
  const aliceAddress = ProtocolAddress.new('alice', 1);
  const bobAddress = ProtocolAddress.new('bob', 1);
  await processPreKeyBundle(bob.bundle(), bobAddress, alice.sessions, alice.identities);
  await decrypt(bob, aliceAddress, await encrypt(alice, bobAddress, HELLO));
  await decrypt(alice, bobAddress, await encrypt(bob, aliceAddress, HELLO));
  return { alice, bob, aliceAddress, bobAddress };
}

/** Builds the libsignal-client implementation. */
export function libsignalClient(): Implementation {
  let setupAlice: Party | undefined;
  let setupBob: Party | undefined;
  let bundles: PreKeyBundle[] = [];

  return {
    name: 'libsignal-client',
    description:
      '@signalapp/libsignal-client 0.90.0: Rust core via N-API, PQXDH (Kyber1024), async in-memory stores; two libsignal peers also run SPQR (its state is ~350 B of each record)',
    supports: new Set<ScenarioId>(['symmetric', 'dh-ratchet', 'setup', 'out-of-order', 'record-size', 'heap']),

    async establish(): Promise<Conversation> {
      const { alice, bob, aliceAddress, bobAddress } = await handshake();
      const party = (side: Side): Party => (side === 'alice' ? alice : bob);
      const peerAddress = (side: Side): ProtocolAddress => (side === 'alice' ? bobAddress : aliceAddress);
      return {
        send: (from, plaintext) => encrypt(party(from), peerAddress(from), plaintext),
        receive: (to, message) => decrypt(party(to), peerAddress(to), message as WireMessage),
        recordBytes: async (side) => (await party(side).sessions.getSession(peerAddress(side)))!.serialize(),
      };
    },

    async prepareSetups(count: number): Promise<void> {
      setupAlice = new Party(1111);
      setupBob = new Party(2222);
      bundles = [];
      for (let i = 0; i < count; i++) bundles.push(setupBob.bundle());
    },

    async setupOnce(index: number): Promise<void> {
      const alice = setupAlice!;
      const bob = setupBob!;
      const bundle = bundles[index]!;
      // A fresh address per setup so each is a new session, not an archive of the last.
      const bobAddress = ProtocolAddress.new(`bob-${index}`, 1);
      const aliceAddress = ProtocolAddress.new(`alice-${index}`, 1);
      await processPreKeyBundle(bundle, bobAddress, alice.sessions, alice.identities);
      const plaintext = await decrypt(bob, aliceAddress, await encrypt(alice, bobAddress, HELLO));
      if (plaintext.length !== HELLO.length) throw new Error('libsignal-client setup: wrong plaintext');
    },

    async holdSessions(count: number): Promise<unknown[]> {
      const { alice, bobAddress } = await handshake();
      // Each held record is its own native object, as a store that caches records keeps them.
      const bytes = (await alice.sessions.getSession(bobAddress))!.serialize();
      const held: SessionRecord[] = [];
      for (let i = 0; i < count; i++) held.push(SessionRecord.deserialize(bytes));
      return held;
    },
  };
}
