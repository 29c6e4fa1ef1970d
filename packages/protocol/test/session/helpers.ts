/**
 * Test helpers for ours <-> ours sessions: a device with identity, prekeys
 * and a record per peer. Seeded randomness comes from @sealpost/devkit/prng.
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
  encryptMessage,
  generateIdentityKeyPair,
  generateKyberPreKey,
  generatePreKey,
  generateSignedPreKey,
  initiateSession,
} from '../../src/index.ts';

/** One device of ours, holding its keys and a session record per peer name. */
export class Device {
  readonly identity: IdentityKeyPair;
  readonly registrationId: number;
  readonly signed = new Map<number, SignedPreKeyRecord>();
  readonly oneTime = new Map<number, PreKeyRecord>();
  readonly kyber = new Map<number, KyberPreKeyRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  private nextId = 1;

  /** `spqr: false`: sessions this device starts (either side) run without SPQR (V0). */
  constructor(
    readonly name: string,
    seed?: Uint8Array,
    readonly options: { spqr?: boolean } = {},
  ) {
    this.identity = generateIdentityKeyPair(seed);
    this.registrationId = 1 + (this.identity.publicKey[1]! << 4);
  }

  bundle(withOneTimePreKey: boolean): PreKeyBundle {
    const s = generateSignedPreKey({ identity: this.identity, id: this.nextId++ });
    this.signed.set(s.id, s);
    const k = generateKyberPreKey({ identity: this.identity, id: this.nextId++ });
    this.kyber.set(k.id, k);
    let pre: PreKeyRecord | undefined;
    if (withOneTimePreKey) {
      pre = generatePreKey(this.nextId++);
      this.oneTime.set(pre.id, pre);
    }
    return {
      registrationId: this.registrationId,
      deviceId: 1,
      preKeyId: pre?.id ?? null,
      preKeyPublic: pre?.keyPair.publicKey ?? null,
      signedPreKeyId: s.id,
      signedPreKeyPublic: s.keyPair.publicKey,
      signedPreKeySignature: s.signature,
      identityKey: this.identity.publicKey,
      kyberPreKeyId: k.id,
      kyberPreKeyPublic: k.keyPair.publicKey,
      kyberPreKeySignature: k.signature,
    };
  }

  startSession(peer: string, bundle: PreKeyBundle): void {
    const { record } = initiateSession({
      record: this.sessions.get(peer),
      ourIdentity: this.identity,
      ourRegistrationId: this.registrationId,
      bundle,
      spqr: this.options.spqr,
    });
    this.sessions.set(peer, record);
  }

  encrypt(peer: string, plaintext: Uint8Array): CiphertextMessage {
    const record = this.sessions.get(peer);
    if (record === undefined) throw new Error(`no record for ${peer}`);
    const out = encryptMessage({ record, plaintext });
    this.sessions.set(peer, out.record);
    return out.message;
  }

  decrypt(peer: string, message: CiphertextMessage): Uint8Array {
    if (message.type === 'prekey') {
      const out = decryptPreKeyMessage({
        record: this.sessions.get(peer),
        ourIdentity: this.identity,
        ourRegistrationId: this.registrationId,
        message: message.serialized,
        loadSignedPreKey: (id) => this.signed.get(id),
        loadPreKey: (id) => this.oneTime.get(id),
        loadKyberPreKey: (id) => this.kyber.get(id),
        spqr: this.options.spqr,
      });
      if (out.usedPreKeyId !== undefined) this.oneTime.delete(out.usedPreKeyId);
      this.sessions.set(peer, out.record);
      return out.plaintext;
    }
    const out = decryptMessage({ record: this.sessions.get(peer), message: message.serialized });
    this.sessions.set(peer, out.record);
    return out.plaintext;
  }
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);
