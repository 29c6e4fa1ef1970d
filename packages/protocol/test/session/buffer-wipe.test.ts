/**
 * Issue 11 item 12: nothing the protocol returns or keeps may alias a
 * buffer the caller handed over. Every call below runs through `handOver`:
 * after the call, every Uint8Array in its inputs (messages, serialized
 * records, keys, bundles, prekey records the lookups returned, plaintexts)
 * is wiped — alternately zero-filled and filled with random bytes — and
 * the outputs (records re-serialized, plaintexts, keys) must be unchanged,
 * while two devices keep a session going through all of it.
 *
 * Record *objects* are values the protocol may share between an input and
 * an output record (documented in the README); the app's stored form is the
 * serialized record, which is wiped here after every load.
 */
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@sealpost/devkit/prng';
import {
  type CiphertextMessage,
  type IdentityKeyPair,
  type PreKeyBundle,
  type SessionRecord,
  decodePreKeySignalMessage,
  decodeSignalMessage,
  decryptMessage,
  decryptPreKeyMessage,
  deserializeIdentityKeyPair,
  deserializeKyberPreKeyRecord,
  deserializePreKeyRecord,
  deserializeSessionRecord,
  deserializeSignedPreKeyRecord,
  encryptMessage,
  generateIdentityKeyPair,
  generateKyberPreKey,
  generatePreKey,
  generateSignedPreKey,
  initiateSession,
  serializeIdentityKeyPair,
  serializeKyberPreKeyRecord,
  serializePreKeyRecord,
  serializeSessionRecord,
  serializeSignedPreKeyRecord,
} from '../../src/index.ts';
import {
  createSenderCertificate,
  createServerCertificate,
  decodeSealedContent,
  encodeSealedContent,
  parseSenderCertificate,
  parseServerCertificate,
  sealV1,
  sealV2MultiRecipient,
  splitV2ForRecipient,
  unsealToContent,
} from '../../src/sealed-sender/index.ts';
import { text, utf8 } from './helpers.ts';

const rng = new SeededRandom(0x12);
let round = 0;

function collect(value: unknown, out: Set<Uint8Array>, seen: Set<object>): void {
  if (value instanceof Uint8Array) {
    out.add(value);
    return;
  }
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  for (const v of Array.isArray(value) ? value : Object.values(value)) collect(v, out, seen);
}

/** A deep, comparable picture of a value: bytes as hex, records also as their serialized form. */
function snapshot(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    if (v !== null && typeof v === 'object' && 'current' in v && 'previous' in v) {
      return { serialized: Buffer.from(serializeSessionRecord(v as SessionRecord)).toString('hex'), ...(v as object) };
    }
    if (typeof v === 'bigint') return v.toString();
    return v;
  });
}

/** Runs `f`, then wipes every buffer in `inputs` (and `extra()`'s), and checks the output did not change. */
function handOver<T>(inputs: unknown[], f: () => T, extra: () => unknown[] = () => []): T {
  const out = f();
  const before = snapshot(out);
  const buffers = new Set<Uint8Array>();
  for (const input of [...inputs, ...extra()]) collect(input, buffers, new Set());
  const zero = round++ % 2 === 0;
  for (const b of buffers) b.set(zero ? new Uint8Array(b.length) : rng.bytes(b.length));
  expect(snapshot(out)).toBe(before);
  return out;
}

const copy = (b: Uint8Array): Uint8Array => b.slice();

/** A device that stores only serialized bytes, and hands copies of them to every call. */
class StoringDevice {
  readonly identityBytes: Uint8Array;
  readonly registrationId: number;
  readonly signed = new Map<number, Uint8Array>();
  readonly oneTime = new Map<number, Uint8Array>();
  readonly kyber = new Map<number, Uint8Array>();
  readonly sessions = new Map<string, Uint8Array>();
  private nextId = 1;

  constructor(readonly name: string) {
    this.identityBytes = serializeIdentityKeyPair(generateIdentityKeyPair());
    this.registrationId = 1000 + name.length;
  }

  identity(): IdentityKeyPair {
    const bytes = copy(this.identityBytes);
    return handOver([bytes], () => deserializeIdentityKeyPair(bytes));
  }

  record(peer: string): SessionRecord | undefined {
    const stored = this.sessions.get(peer);
    if (stored === undefined) return undefined;
    const bytes = copy(stored);
    return handOver([bytes], () => deserializeSessionRecord(bytes));
  }

  save(peer: string, record: SessionRecord): void {
    this.sessions.set(peer, serializeSessionRecord(record));
  }

  bundle(): PreKeyBundle {
    const identity = this.identity();
    const s = generateSignedPreKey({ identity, id: this.nextId++ });
    const k = generateKyberPreKey({ identity, id: this.nextId++ });
    const p = generatePreKey(this.nextId++);
    this.signed.set(s.id, serializeSignedPreKeyRecord(s));
    this.kyber.set(k.id, serializeKyberPreKeyRecord(k));
    this.oneTime.set(p.id, serializePreKeyRecord(p));
    return {
      registrationId: this.registrationId,
      deviceId: 1,
      preKeyId: p.id,
      preKeyPublic: p.keyPair.publicKey,
      signedPreKeyId: s.id,
      signedPreKeyPublic: s.keyPair.publicKey,
      signedPreKeySignature: s.signature,
      identityKey: identity.publicKey,
      kyberPreKeyId: k.id,
      kyberPreKeyPublic: k.keyPair.publicKey,
      kyberPreKeySignature: k.signature,
    };
  }

  start(peer: string, bundle: PreKeyBundle): void {
    const ourIdentity = this.identity();
    const record = this.record(peer);
    const { record: next } = handOver([bundle, ourIdentity], () =>
      initiateSession({ record, ourIdentity, ourRegistrationId: this.registrationId, bundle }),
    );
    this.save(peer, next);
  }

  encrypt(peer: string, message: string): CiphertextMessage {
    const plaintext = utf8(message);
    const record = this.record(peer)!;
    const out = handOver([plaintext], () => encryptMessage({ record, plaintext }));
    this.save(peer, out.record);
    return { type: out.message.type, serialized: copy(out.message.serialized) };
  }

  decrypt(peer: string, message: CiphertextMessage): string {
    const bytes = copy(message.serialized);
    const record = this.record(peer);
    if (message.type === 'whisper') {
      const out = handOver([bytes], () => decryptMessage({ record, message: bytes }));
      this.save(peer, out.record);
      return text(out.plaintext);
    }
    const ourIdentity = this.identity();
    const loaded: unknown[] = [];
    const load = <T>(map: Map<number, Uint8Array>, parse: (b: Uint8Array) => T) => (id: number): T | undefined => {
      const stored = map.get(id);
      if (stored === undefined) return undefined;
      const b = copy(stored);
      const r = handOver([b], () => parse(b));
      loaded.push(r);
      return r;
    };
    const out = handOver(
      [bytes, ourIdentity],
      () =>
        decryptPreKeyMessage({
          record,
          ourIdentity,
          ourRegistrationId: this.registrationId,
          message: bytes,
          loadSignedPreKey: load(this.signed, deserializeSignedPreKeyRecord),
          loadPreKey: load(this.oneTime, deserializePreKeyRecord),
          loadKyberPreKey: load(this.kyber, deserializeKyberPreKeyRecord),
        }),
      // The prekey records the lookups returned are the app's too: wiped as well.
      () => loaded,
    );
    if (out.usedPreKeyId !== undefined) this.oneTime.delete(out.usedPreKeyId);
    this.save(peer, out.record);
    return text(out.plaintext);
  }
}

describe('no output aliases an input buffer (issue 11 item 12)', () => {
  it('a session continues while every buffer handed over is wiped after each call', () => {
    const alice = new StoringDevice('alice');
    const bob = new StoringDevice('bob');
    alice.start('bob', bob.bundle());
    for (let i = 0; i < 3; i++) expect(bob.decrypt('alice', alice.encrypt('bob', `hello ${i}`))).toBe(`hello ${i}`);
    for (let turn = 0; turn < 12; turn++) {
      const [from, to, fromName, toName] = turn % 3 === 0 ? [bob, alice, 'bob', 'alice'] : [alice, bob, 'alice', 'bob'];
      const batch = [0, 1].map((k) => from.encrypt(toName, `${fromName} ${turn}.${k}`));
      // Delivered out of order, so skipped keys are stored and used.
      expect(to.decrypt(fromName, batch[1]!)).toBe(`${fromName} ${turn}.1`);
      expect(to.decrypt(fromName, batch[0]!)).toBe(`${fromName} ${turn}.0`);
    }
    // A reset (a new PreKey session archives the old state) and traffic on it.
    alice.start('bob', bob.bundle());
    expect(bob.decrypt('alice', alice.encrypt('bob', 'after reset'))).toBe('after reset');
    expect(alice.decrypt('bob', bob.encrypt('alice', 'reply after reset'))).toBe('reply after reset');
    expect(bob.decrypt('alice', alice.encrypt('bob', 'and on'))).toBe('and on');
  });

  it('decoders keep nothing of their input: messages, records, certificates, sealed sender', () => {
    const alice = new StoringDevice('alice');
    const bob = new StoringDevice('bob');
    alice.start('bob', bob.bundle());
    const prekey = alice.encrypt('bob', 'first');
    bob.decrypt('alice', prekey);
    const whisper = bob.encrypt('alice', 'second');
    const p = copy(prekey.serialized);
    handOver([p], () => decodePreKeySignalMessage(p));
    const w = copy(whisper.serialized);
    handOver([w], () => decodeSignalMessage(w));

    const aliceId = alice.identity();
    const bobId = bob.identity();
    const root = generateIdentityKeyPair();
    const serverKey = generateIdentityKeyPair();
    const server = createServerCertificate({ keyId: 1, serverPublicKey: serverKey.publicKey, trustRootPrivateKey: root.privateKey });
    const sender = createSenderCertificate({
      senderUuid: '9d0652a3-dcc3-4d11-975f-74d61598733f',
      senderDeviceId: 1,
      identityKey: aliceId.publicKey,
      expires: Date.now() + 60_000,
      serverCertificate: server,
      serverPrivateKey: serverKey.privateKey,
    });
    const serverBytes = copy(server.serialized);
    handOver([serverBytes], () => parseServerCertificate(serverBytes));
    const senderBytes = copy(sender.serialized);
    handOver([senderBytes], () => parseSenderCertificate(senderBytes));
    const content = { type: 2 as const, senderCertificate: sender.serialized, contents: whisper.serialized, groupId: Uint8Array.of(1, 2) };
    const usmc = encodeSealedContent(content);
    const usmcBytes = copy(usmc);
    handOver([usmcBytes], () => decodeSealedContent(usmcBytes));
    const v1 = sealV1({ content, senderIdentity: aliceId, recipientIdentityPublic: bobId.publicKey });
    const bobForV1 = bob.identity();
    handOver([v1, bobForV1], () => unsealToContent(v1, bobForV1));
    const sent = sealV2MultiRecipient({
      content,
      senderIdentity: aliceId,
      recipients: [{ serviceId: 'd7d1d55c-0ec7-4d50-a8ad-ef8d1d2c1f3a', identityKey: bobId.publicKey, devices: [{ deviceId: 1, registrationId: 5 }] }],
    });
    const received = handOver([sent], () => splitV2ForRecipient(sent, 'd7d1d55c-0ec7-4d50-a8ad-ef8d1d2c1f3a'));
    const bobAgain = bob.identity();
    const opened = handOver([received, bobAgain], () => unsealToContent(received, bobAgain));
    expect(opened.sender.identityKey).toEqual(aliceId.publicKey);
  });
});
