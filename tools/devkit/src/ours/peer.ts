/**
 * `OursPeer`: one device driven by OUR protocol core (@sealpost/protocol),
 * synchronously, with the thinnest possible imperative shell — in-memory
 * maps standing in for the client's stores. The interop tests drive it
 * through `OursEndpoint`; the benchmark drives it directly (live records).
 *
 * After every failed decrypt it requires the stored record to be unchanged
 * (the functional core must not have mutated it; with serialized keeping,
 * the re-serialized input must equal the stored bytes).
 */
import {
  DuplicateMessageError,
  NoSessionError,
  decryptMessage,
  decryptPreKeyMessage,
  encryptMessage,
  generateIdentityKeyPair,
  generateKyberPreKey,
  generatePreKey,
  generateSignedPreKey,
  hasUsableSenderChain,
  initiateSession,
  type IdentityKeyPair,
  type KyberPreKeyRecord,
  type PreKeyRecord,
  type SessionRecord,
  type SignedPreKeyRecord,
} from '@sealpost/protocol';
import { equalBytes } from '@sealpost/protocol/primitives';
import type { RawPreKeyBundle, WireMessage } from '../libsignal/peer.ts';
import { LiveSessions, SerializedSessions, type SessionKeeping } from './session-keeping.ts';

/** libsignal's numeric message types, which the wire and the simulator use. */
const PREKEY_TYPE = 3;
const WHISPER_TYPE = 2;

export interface OursPeerOptions {
  name: string;
  deviceId?: number;
  registrationId?: number;
  identity?: IdentityKeyPair;
  /** How session records are kept (default `serialized`; the benchmark uses `live`). */
  keeping?: 'serialized' | 'live';
  /** false: sessions this peer starts (either side) run without SPQR (V0). Default: SPQR V1. */
  spqr?: boolean;
}

/** The signed and Kyber prekeys a bundle offers. */
interface SignedAndKyber {
  signed: SignedPreKeyRecord;
  kyber: KyberPreKeyRecord;
}

export class OursPeer {
  readonly name: string;
  readonly deviceId: number;
  readonly identity: IdentityKeyPair;
  readonly registrationId: number;
  private readonly spqr: boolean | undefined;

  readonly sessions: SessionKeeping;
  /** Trust on first use: remote -> identity key. */
  readonly identities = new Map<string, Uint8Array>();
  readonly preKeys = new Map<number, PreKeyRecord>();
  readonly signedPreKeys = new Map<number, SignedPreKeyRecord>();
  readonly kyberPreKeys = new Map<number, KyberPreKeyRecord>();
  /** One-time prekey ids consumed (removed), in order. */
  readonly removedPreKeys: number[] = [];
  private readonly trustChecks = new Map<string, (identityKey: Uint8Array) => boolean>();
  private nextId = 1;
  private lastResort: SignedAndKyber | undefined;

  constructor(options: OursPeerOptions) {
    this.name = options.name;
    this.deviceId = options.deviceId ?? 1;
    this.identity = options.identity ?? generateIdentityKeyPair();
    this.registrationId = options.registrationId ?? 1 + Math.floor(Math.random() * 16380);
    this.sessions = options.keeping === 'live' ? new LiveSessions() : new SerializedSessions();
    this.spqr = options.spqr;
  }

  /** Trust on first use; one check function per remote, made once. */
  private trusts(remote: string): (identityKey: Uint8Array) => boolean {
    let check = this.trustChecks.get(remote);
    if (check === undefined) {
      check = (identityKey) => {
        const known = this.identities.get(remote);
        return known === undefined || equalBytes(known, identityKey);
      };
      this.trustChecks.set(remote, check);
    }
    return check;
  }

  /**
   * A fresh prekey bundle: a new signed and Kyber prekey (or, with
   * `lastResort`, the ones made for the first such bundle) and, if asked, a
   * new one-time prekey.
   */
  bundle(options: { withOneTimePreKey: boolean; lastResort?: boolean }): RawPreKeyBundle {
    const { signed, kyber } = options.lastResort === true ? (this.lastResort ??= this.newSignedAndKyber()) : this.newSignedAndKyber();
    let pre: PreKeyRecord | undefined;
    if (options.withOneTimePreKey) {
      pre = generatePreKey(this.nextId++);
      this.preKeys.set(pre.id, pre);
    }
    return {
      registrationId: this.registrationId,
      deviceId: this.deviceId,
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

  private newSignedAndKyber(): SignedAndKyber {
    const signed = generateSignedPreKey({ identity: this.identity, id: this.nextId++ });
    this.signedPreKeys.set(signed.id, signed);
    const kyber = generateKyberPreKey({ identity: this.identity, id: this.nextId++ });
    this.kyberPreKeys.set(kyber.id, kyber);
    return { signed, kyber };
  }

  startSession(remote: string, bundle: RawPreKeyBundle): void {
    const { record } = initiateSession({
      record: this.sessions.load(remote),
      ourIdentity: this.identity,
      ourRegistrationId: this.registrationId,
      bundle,
      isTrusted: this.trusts(remote),
      spqr: this.spqr,
    });
    this.identities.set(remote, bundle.identityKey);
    this.sessions.save(remote, record);
  }

  encrypt(remote: string, plaintext: Uint8Array): WireMessage {
    const record = this.sessions.load(remote);
    if (record === undefined) throw new NoSessionError(`no session with ${remote}`);
    const out = encryptMessage({ record, plaintext, isTrusted: this.trusts(remote) });
    this.sessions.save(remote, out.record);
    return { type: out.message.type === 'prekey' ? PREKEY_TYPE : WHISPER_TYPE, bytes: out.message.serialized };
  }

  decrypt(remote: string, message: WireMessage): Uint8Array {
    const record = this.sessions.load(remote);
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
          spqr: this.spqr,
        });
        if (out.usedPreKeyId !== undefined) {
          this.preKeys.delete(out.usedPreKeyId);
          this.removedPreKeys.push(out.usedPreKeyId);
        }
        this.identities.set(remote, out.remoteIdentity);
        this.sessions.save(remote, out.record);
        return out.plaintext;
      }
      const out = decryptMessage({ record, message: message.bytes, isTrusted: this.trusts(remote) });
      this.identities.set(remote, out.remoteIdentity);
      this.sessions.save(remote, out.record);
      return out.plaintext;
    } catch (e) {
      // A failed decrypt must leave the record exactly as it was.
      if (record !== undefined && !this.sessions.unchanged(remote, record)) {
        throw new Error(`record changed by a failed decrypt (${String(e)})`);
      }
      throw e;
    }
  }

  hasSession(remote: string): boolean {
    const record = this.sessions.load(remote);
    return record !== undefined && hasUsableSenderChain(record);
  }

  /** The session record with `remote` serialized as it would be persisted. */
  recordBytes(remote: string): Uint8Array | undefined {
    return this.sessions.bytes(remote);
  }

  /**
   * Test hook: replaces the stored record with `edit(record)` (e.g. to jump
   * a sending chain far ahead without encrypting thousands of messages).
   */
  editSession(remote: string, edit: (record: SessionRecord) => SessionRecord): void {
    const record = this.sessions.load(remote);
    if (record === undefined) throw new Error(`no session with ${remote}`);
    this.sessions.save(remote, edit(record));
  }

  resetSession(remote: string): void {
    this.sessions.delete(remote);
  }

  isDuplicateError(error: unknown): boolean {
    return error instanceof DuplicateMessageError && error.code === 'DUPLICATE_MESSAGE';
  }

  isNoSessionError(error: unknown): boolean {
    return error instanceof NoSessionError && error.code === 'NO_SESSION';
  }
}
