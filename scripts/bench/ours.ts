/**
 * Ours: @sealpost/protocol's functional core driven the way an app's
 * in-memory store drives it — records are held as the immutable
 * `SessionRecord` values the core returns (as the libsignal-client harness
 * holds its native records), identities are checked on every step, and
 * messages cross as serialized bytes.
 */
import {
  type CiphertextMessage,
  type IdentityKeyPair,
  type KyberPreKeyRecord,
  type PreKeyBundle,
  type PreKeyRecord,
  type SessionRecord,
  type SignedPreKeyRecord,
  decryptMessage,
  decryptPreKeyMessage,
  deserializeSessionRecord,
  encryptMessage,
  generateIdentityKeyPair,
  generateKyberPreKey,
  generatePreKey,
  generateSignedPreKey,
  initiateSession,
  serializeSessionRecord,
} from '../../packages/protocol/src/index.ts';
import type { Conversation, Implementation, ScenarioId, Side } from './contract.ts';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** One party: identity, prekeys and an in-memory session + identity store. */
class Party {
  readonly identity: IdentityKeyPair = generateIdentityKeyPair();
  readonly sessions = new Map<string, SessionRecord>();
  private readonly identities = new Map<string, Uint8Array>();
  private readonly preKeys = new Map<number, PreKeyRecord>();
  private readonly signed: SignedPreKeyRecord;
  private readonly kyber: KyberPreKeyRecord;
  private nextPreKeyId = 1;

  constructor(readonly registrationId: number) {
    this.signed = generateSignedPreKey({ identity: this.identity, id: 1 });
    this.kyber = generateKyberPreKey({ identity: this.identity, id: 1 });
  }

  private readonly trustChecks = new Map<string, (key: Uint8Array) => boolean>();

  /** Trust on first use, as the peers' harnesses do (one check function per peer, made once). */
  trusts(peer: string): (key: Uint8Array) => boolean {
    let check = this.trustChecks.get(peer);
    if (check === undefined) {
      check = (key) => {
        const known = this.identities.get(peer);
        return known === undefined || sameBytes(known, key);
      };
      this.trustChecks.set(peer, check);
    }
    return check;
  }

  bundle(): PreKeyBundle {
    const id = this.nextPreKeyId++;
    const oneTime = generatePreKey(id);
    this.preKeys.set(id, oneTime);
    return {
      registrationId: this.registrationId,
      deviceId: 1,
      preKeyId: id,
      preKeyPublic: oneTime.keyPair.publicKey,
      signedPreKeyId: this.signed.id,
      signedPreKeyPublic: this.signed.keyPair.publicKey,
      signedPreKeySignature: this.signed.signature,
      identityKey: this.identity.publicKey,
      kyberPreKeyId: this.kyber.id,
      kyberPreKeyPublic: this.kyber.keyPair.publicKey,
      kyberPreKeySignature: this.kyber.signature,
    };
  }

  processBundle(peer: string, bundle: PreKeyBundle): void {
    const { record } = initiateSession({
      record: this.sessions.get(peer),
      ourIdentity: this.identity,
      ourRegistrationId: this.registrationId,
      bundle,
      isTrusted: this.trusts(peer),
    });
    this.sessions.set(peer, record);
    this.identities.set(peer, bundle.identityKey);
  }

  encrypt(peer: string, plaintext: Uint8Array): CiphertextMessage {
    const { record, message } = encryptMessage({ record: this.sessions.get(peer)!, plaintext, isTrusted: this.trusts(peer) });
    this.sessions.set(peer, record);
    return message;
  }

  decrypt(peer: string, message: CiphertextMessage): Uint8Array {
    if (message.type === 'prekey') {
      const result = decryptPreKeyMessage({
        record: this.sessions.get(peer),
        ourIdentity: this.identity,
        ourRegistrationId: this.registrationId,
        message: message.serialized,
        isTrusted: this.trusts(peer),
        loadSignedPreKey: (id) => (id === this.signed.id ? this.signed : undefined),
        loadKyberPreKey: (id) => (id === this.kyber.id ? this.kyber : undefined),
        loadPreKey: (id) => this.preKeys.get(id),
      });
      this.sessions.set(peer, result.record);
      this.identities.set(peer, result.remoteIdentity);
      if (result.usedPreKeyId !== undefined) this.preKeys.delete(result.usedPreKeyId);
      return result.plaintext;
    }
    const result = decryptMessage({ record: this.sessions.get(peer), message: message.serialized, isTrusted: this.trusts(peer) });
    this.sessions.set(peer, result.record);
    return result.plaintext;
  }
}

const HELLO = new TextEncoder().encode('hello');

function handshake(): { alice: Party; bob: Party } {
  const alice = new Party(1111);
  const bob = new Party(2222);
  alice.processBundle('bob', bob.bundle());
  bob.decrypt('alice', alice.encrypt('bob', HELLO));
  alice.decrypt('bob', bob.encrypt('alice', HELLO));
  return { alice, bob };
}

/** Builds our implementation's harness. */
export function sealpost(): Implementation {
  let setupAlice: Party | undefined;
  let setupBob: Party | undefined;
  let bundles: PreKeyBundle[] = [];

  return {
    name: 'sealpost',
    description: '@sealpost/protocol (this repo): pure TS functional core, PQXDH (Kyber1024), node:crypto + noble; immutable records held in memory',
    supports: new Set<ScenarioId>(['symmetric', 'dh-ratchet', 'setup', 'out-of-order', 'record-size', 'heap']),

    async establish(): Promise<Conversation> {
      const { alice, bob } = handshake();
      const party = (side: Side): Party => (side === 'alice' ? alice : bob);
      const peer = (side: Side): string => (side === 'alice' ? 'bob' : 'alice');
      return {
        send: (from, plaintext) => party(from).encrypt(peer(from), plaintext),
        receive: (to, message) => party(to).decrypt(peer(to), message as CiphertextMessage),
        recordBytes: (side) => serializeSessionRecord(party(side).sessions.get(peer(side))!),
      };
    },

    async prepareSetups(count: number): Promise<void> {
      setupAlice = new Party(1111);
      setupBob = new Party(2222);
      bundles = [];
      for (let i = 0; i < count; i++) bundles.push(setupBob.bundle());
    },

    async setupOnce(index: number): Promise<void> {
      // A fresh peer name per setup so each is a new session, not an archive of the last.
      setupAlice!.processBundle(`bob-${index}`, bundles[index]!);
      const plaintext = setupBob!.decrypt(`alice-${index}`, setupAlice!.encrypt(`bob-${index}`, HELLO));
      if (plaintext.length !== HELLO.length) throw new Error('sealpost setup: wrong plaintext');
    },

    async holdSessions(count: number): Promise<unknown[]> {
      const { alice } = handshake();
      const bytes = serializeSessionRecord(alice.sessions.get('bob')!);
      const held: SessionRecord[] = [];
      for (let i = 0; i < count; i++) held.push(deserializeSessionRecord(bytes));
      return held;
    },
  };
}
