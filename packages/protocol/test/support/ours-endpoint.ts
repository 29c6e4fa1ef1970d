/**
 * `OursEndpoint`: a device driven by OUR protocol core (@sealpost/protocol),
 * with the thinnest possible imperative shell — in-memory maps standing in
 * for the client's stores — so the scenario runner can pit it against
 * libsignal-client or against itself.
 *
 * Records are kept serialized (libsignal's RecordStructure bytes) and only
 * replaced after a successful step, as the client's SQLite transaction will
 * do. After every failed decrypt we re-serialize the record we passed in
 * and require it to be byte-identical to the stored one (the functional
 * core must not have mutated it).
 */
import {
  DuplicateMessageError,
  NoSessionError,
  decryptMessage,
  decryptPreKeyMessage,
  deserializeSessionRecord,
  encryptMessage,
  generateIdentityKeyPair,
  generateKyberPreKey,
  generatePreKey,
  generateSignedPreKey,
  hasUsableSenderChain,
  initiateSession,
  serializeSessionRecord,
  type IdentityKeyPair,
  type KyberPreKeyRecord,
  type PreKeyRecord,
  type SessionRecord,
  type SignedPreKeyRecord,
} from '../../src/index.ts';
import type { RawPreKeyBundle, WireMessage } from './libsignal-peer.ts';
import type { EndpointId, SessionEndpoint } from './session-scenarios.ts';

/** libsignal's numeric message types, which the wire and the simulator use. */
const PREKEY_TYPE = 3;
const WHISPER_TYPE = 2;

function key(id: EndpointId): string {
  return `${id.name}.${id.deviceId}`;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export interface OursEndpointOptions {
  name: string;
  deviceId?: number;
  registrationId?: number;
  identity?: IdentityKeyPair;
}

export class OursEndpoint implements SessionEndpoint {
  readonly implementation = 'ours';
  readonly id: EndpointId;
  readonly identity: IdentityKeyPair;
  readonly registrationId: number;

  /** Serialized SessionRecord per remote address. */
  readonly sessions = new Map<string, Uint8Array>();
  /** Trust on first use: remote address -> identity key. */
  readonly identities = new Map<string, Uint8Array>();
  readonly preKeys = new Map<number, PreKeyRecord>();
  readonly signedPreKeys = new Map<number, SignedPreKeyRecord>();
  readonly kyberPreKeys = new Map<number, KyberPreKeyRecord>();
  /** One-time prekey ids consumed (removed), in order. */
  readonly removedPreKeys: number[] = [];
  private nextId = 1;

  constructor(options: OursEndpointOptions) {
    this.id = { name: options.name, deviceId: options.deviceId ?? 1 };
    this.identity = options.identity ?? generateIdentityKeyPair();
    this.registrationId = options.registrationId ?? 1 + Math.floor(Math.random() * 16380);
  }

  private trusts(remote: EndpointId): (identityKey: Uint8Array) => boolean {
    return (identityKey) => {
      const known = this.identities.get(key(remote));
      return known === undefined || bytesEqual(known, identityKey);
    };
  }

  private load(remote: EndpointId): SessionRecord | undefined {
    const bytes = this.sessions.get(key(remote));
    return bytes === undefined ? undefined : deserializeSessionRecord(bytes);
  }

  private save(remote: EndpointId, record: SessionRecord): void {
    this.sessions.set(key(remote), serializeSessionRecord(record));
  }

  async bundle(options: { withOneTimePreKey: boolean }): Promise<RawPreKeyBundle> {
    const signed = generateSignedPreKey({ identity: this.identity, id: this.nextId++ });
    this.signedPreKeys.set(signed.id, signed);
    const kyber = generateKyberPreKey({ identity: this.identity, id: this.nextId++ });
    this.kyberPreKeys.set(kyber.id, kyber);
    let pre: PreKeyRecord | undefined;
    if (options.withOneTimePreKey) {
      pre = generatePreKey(this.nextId++);
      this.preKeys.set(pre.id, pre);
    }
    return {
      registrationId: this.registrationId,
      deviceId: this.id.deviceId,
      preKeyId: pre?.id ?? null,
      preKeyPublic: pre?.keyPair.publicKey ?? null,
      signedPreKeyId: signed.id,
      signedPreKeyPublic: signed.keyPair.publicKey,
      signedPreKeySignature: signed.signature,
      identityKey: this.identity.publicKey,
      kyberPreKeyId: kyber.id,
      kyberPreKeyPublic: kyber.keyPair.publicKey,
      kyberPreKeySignature: kyber.signature,
    };
  }

  async startSession(remote: EndpointId, bundle: RawPreKeyBundle): Promise<void> {
    const { record } = initiateSession({
      record: this.load(remote),
      ourIdentity: this.identity,
      ourRegistrationId: this.registrationId,
      bundle,
      isTrusted: this.trusts(remote),
    });
    this.identities.set(key(remote), bundle.identityKey);
    this.save(remote, record);
  }

  async encrypt(remote: EndpointId, plaintext: Uint8Array): Promise<WireMessage> {
    const record = this.load(remote);
    if (record === undefined) throw new NoSessionError(`no session with ${key(remote)}`);
    const out = encryptMessage({ record, plaintext, isTrusted: this.trusts(remote) });
    this.save(remote, out.record);
    return { type: out.message.type === 'prekey' ? PREKEY_TYPE : WHISPER_TYPE, bytes: out.message.serialized };
  }

  async decrypt(remote: EndpointId, message: WireMessage): Promise<Uint8Array> {
    const stored = this.sessions.get(key(remote));
    const record = stored === undefined ? undefined : deserializeSessionRecord(stored);
    try {
      if (message.type === PREKEY_TYPE) {
        const out = decryptPreKeyMessage({
          record,
          ourIdentity: this.identity,
          ourRegistrationId: this.registrationId,
          message: message.bytes,
          isTrusted: this.trusts(remote),
          loadPreKey: (id) => this.preKeys.get(id),
          loadSignedPreKey: (id) => this.signedPreKeys.get(id),
          loadKyberPreKey: (id) => this.kyberPreKeys.get(id),
        });
        if (out.usedPreKeyId !== undefined) {
          this.preKeys.delete(out.usedPreKeyId);
          this.removedPreKeys.push(out.usedPreKeyId);
        }
        this.identities.set(key(remote), out.remoteIdentity);
        this.save(remote, out.record);
        return out.plaintext;
      }
      const out = decryptMessage({ record, message: message.bytes, isTrusted: this.trusts(remote) });
      this.identities.set(key(remote), out.remoteIdentity);
      this.save(remote, out.record);
      return out.plaintext;
    } catch (e) {
      // A failed decrypt must leave the record exactly as it was.
      if (record !== undefined && stored !== undefined && !bytesEqual(serializeSessionRecord(record), stored)) {
        throw new Error(`record changed by a failed decrypt (${String(e)})`);
      }
      throw e;
    }
  }

  async hasSession(remote: EndpointId): Promise<boolean> {
    const record = this.load(remote);
    return record !== undefined && hasUsableSenderChain(record);
  }

  /**
   * Test hook: replaces the stored record with `edit(record)` (e.g. to jump
   * a sending chain far ahead without encrypting thousands of messages).
   */
  editSession(remote: EndpointId, edit: (record: SessionRecord) => SessionRecord): void {
    const record = this.load(remote);
    if (record === undefined) throw new Error(`no session with ${key(remote)}`);
    this.save(remote, edit(record));
  }

  async resetSession(remote: EndpointId): Promise<void> {
    this.sessions.delete(key(remote));
  }

  isDuplicateError(error: unknown): boolean {
    return error instanceof DuplicateMessageError && error.code === 'DUPLICATE_MESSAGE';
  }

  isNoSessionError(error: unknown): boolean {
    return error instanceof NoSessionError && error.code === 'NO_SESSION';
  }
}
