/**
 * Peer: @privacyresearch/libsignal-protocol-typescript, the pure-TypeScript
 * port of libsignal-protocol-javascript many web apps use today. Symmetric
 * crypto goes through WebCrypto (node's `globalThis.crypto.subtle`, i.e.
 * OpenSSL behind a Promise per call); Curve25519 is its asm.js build. It
 * speaks X3DH only — no Kyber, so its session setup does less work than
 * PQXDH — and persists sessions as JSON strings.
 *
 * GPL-3.0 — this file is a benchmark, never imported from src/.
 */
import {
  KeyHelper,
  SessionBuilder,
  SessionCipher,
  SignalProtocolAddress,
  type DeviceType,
  type Direction,
  type KeyPairType,
  type MessageType,
  type SessionRecordType,
  type StorageType,
} from '@privacyresearch/libsignal-protocol-typescript';
import { equalBytes } from '@sealpost/protocol/primitives';
import { ALL_SCENARIOS, type Conversation, type Implementation, type Side } from './contract.ts';

/** In-memory StorageType, trust on first use. */
class MemoryStore implements StorageType {
  readonly sessions = new Map<string, SessionRecordType>();
  private readonly identities = new Map<string, ArrayBuffer>();
  private readonly preKeys = new Map<string, KeyPairType>();
  private readonly signedPreKeys = new Map<string, KeyPairType>();

  constructor(
    private readonly identity: KeyPairType,
    private readonly registrationId: number,
  ) {}

  getIdentityKeyPair = async (): Promise<KeyPairType> => this.identity;
  getLocalRegistrationId = async (): Promise<number> => this.registrationId;
  isTrustedIdentity = async (identifier: string, identityKey: ArrayBuffer, _direction: Direction): Promise<boolean> => {
    const known = this.identities.get(identifier);
    return known === undefined || equal(known, identityKey);
  };
  saveIdentity = async (encodedAddress: string, publicKey: ArrayBuffer): Promise<boolean> => {
    const name = encodedAddress.split('.')[0]!;
    const known = this.identities.get(name);
    this.identities.set(name, publicKey);
    return known !== undefined && !equal(known, publicKey);
  };
  loadPreKey = async (keyId: string | number): Promise<KeyPairType | undefined> => this.preKeys.get(String(keyId));
  storePreKey = async (keyId: number | string, keyPair: KeyPairType): Promise<void> => void this.preKeys.set(String(keyId), keyPair);
  removePreKey = async (keyId: number | string): Promise<void> => void this.preKeys.delete(String(keyId));
  storeSession = async (encodedAddress: string, record: SessionRecordType): Promise<void> => void this.sessions.set(encodedAddress, record);
  loadSession = async (encodedAddress: string): Promise<SessionRecordType | undefined> => this.sessions.get(encodedAddress);
  loadSignedPreKey = async (keyId: number | string): Promise<KeyPairType | undefined> => this.signedPreKeys.get(String(keyId));
  storeSignedPreKey = async (keyId: number | string, keyPair: KeyPairType): Promise<void> =>
    void this.signedPreKeys.set(String(keyId), keyPair);
  removeSignedPreKey = async (keyId: number | string): Promise<void> => void this.signedPreKeys.delete(String(keyId));
}

// No Buffer: this harness also runs in the browser benchmark (scripts/bench/browser/).
function equal(a: ArrayBuffer, b: ArrayBuffer): boolean {
  return equalBytes(new Uint8Array(a), new Uint8Array(b));
}

/** One party with a signed prekey; one-time prekeys are minted per bundle. */
class Party {
  store!: MemoryStore;
  private identity!: KeyPairType;
  private signed!: { keyId: number; publicKey: ArrayBuffer; signature: ArrayBuffer };
  private nextPreKeyId = 1;

  static async create(registrationId: number): Promise<Party> {
    const party = new Party();
    party.identity = await KeyHelper.generateIdentityKeyPair();
    party.store = new MemoryStore(party.identity, registrationId);
    const signed = await KeyHelper.generateSignedPreKey(party.identity, 1);
    await party.store.storeSignedPreKey(1, signed.keyPair);
    party.signed = { keyId: 1, publicKey: signed.keyPair.pubKey, signature: signed.signature };
    return party;
  }

  async bundle(): Promise<DeviceType> {
    const id = this.nextPreKeyId++;
    const preKey = await KeyHelper.generatePreKey(id);
    await this.store.storePreKey(id, preKey.keyPair);
    return {
      identityKey: this.identity.pubKey,
      signedPreKey: this.signed,
      preKey: { keyId: id, publicKey: preKey.keyPair.pubKey },
      registrationId: await this.store.getLocalRegistrationId(),
    };
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

async function decrypt(cipher: SessionCipher, message: MessageType): Promise<Uint8Array> {
  const plaintext =
    message.type === 3
      ? await cipher.decryptPreKeyWhisperMessage(message.body!, 'binary')
      : await cipher.decryptWhisperMessage(message.body!, 'binary');
  return new Uint8Array(plaintext);
}

const HELLO = new TextEncoder().encode('hello');

async function handshake(): Promise<{ alice: Party; bob: Party; toBob: SessionCipher; toAlice: SessionCipher }> {
  const alice = await Party.create(1111);
  const bob = await Party.create(2222);
  const bobAddress = new SignalProtocolAddress('bob', 1);
  const aliceAddress = new SignalProtocolAddress('alice', 1);
  await new SessionBuilder(alice.store, bobAddress).processPreKey(await bob.bundle());
  const toBob = new SessionCipher(alice.store, bobAddress);
  const toAlice = new SessionCipher(bob.store, aliceAddress);
  await decrypt(toAlice, await toBob.encrypt(toArrayBuffer(HELLO)));
  await decrypt(toBob, await toAlice.encrypt(toArrayBuffer(HELLO)));
  return { alice, bob, toBob, toAlice };
}

/** Builds the libsignal-protocol-typescript implementation. */
export function libsignalProtocolTs(): Implementation {
  let setupAlice: Party | undefined;
  let setupBob: Party | undefined;
  let bundles: DeviceType[] = [];

  return {
    name: 'libsignal-protocol-ts',
    description:
      '@privacyresearch/libsignal-protocol-typescript 0.0.16: pure TS, WebCrypto (async) + asm.js Curve25519, X3DH only (no Kyber), JSON-string records',
    supports: ALL_SCENARIOS,

    async establish(): Promise<Conversation> {
      const { alice, bob, toBob, toAlice } = await handshake();
      const cipher = (side: Side): SessionCipher => (side === 'alice' ? toBob : toAlice);
      return {
        send: (from, plaintext) => cipher(from).encrypt(toArrayBuffer(plaintext)),
        receive: (to, message) => decrypt(cipher(to), message as MessageType),
        recordBytes: (side) => {
          const record = (side === 'alice' ? alice : bob).store.sessions.get(side === 'alice' ? 'bob.1' : 'alice.1')!;
          return new Uint8Array(Buffer.from(record, 'utf8'));
        },
      };
    },

    async prepareSetups(count: number): Promise<void> {
      setupAlice = await Party.create(1111);
      setupBob = await Party.create(2222);
      bundles = [];
      for (let i = 0; i < count; i++) bundles.push(await setupBob.bundle());
    },

    async setupOnce(index: number): Promise<void> {
      const bobAddress = new SignalProtocolAddress(`bob-${index}`, 1);
      const aliceAddress = new SignalProtocolAddress(`alice-${index}`, 1);
      await new SessionBuilder(setupAlice!.store, bobAddress).processPreKey(bundles[index]!);
      const first = await new SessionCipher(setupAlice!.store, bobAddress).encrypt(toArrayBuffer(HELLO));
      const plaintext = await decrypt(new SessionCipher(setupBob!.store, aliceAddress), first);
      if (plaintext.length !== HELLO.length) throw new Error('libsignal-protocol-ts setup: wrong plaintext');
    },

    async holdSessions(count: number): Promise<unknown[]> {
      const { alice } = await handshake();
      const record = alice.store.sessions.get('bob.1')!;
      // Its store holds one JSON string per session; copy through a Buffer so each is a distinct string.
      const bytes = Buffer.from(record, 'utf8');
      const held: string[] = [];
      for (let i = 0; i < count; i++) held.push(bytes.toString('utf8'));
      return held;
    },
  };
}
