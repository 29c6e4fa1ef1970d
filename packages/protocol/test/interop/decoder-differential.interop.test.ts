/**
 * Differential decoding against libsignal-client 0.90 (issue 11 item 13):
 * valid libsignal-made encodings and thousands of seeded mutants of each
 * (bit flips, truncations, insertions, wire-type changes, non-minimal
 * varints, lengths ≥ 2^32, duplicated/dropped/unknown fields) go to
 * libsignal's deserializer and to ours. Sealpost must accept exactly when
 * libsignal accepts, and read the same values; the only disagreement left
 * is the documented one (a 0x05 public key followed by trailing bytes:
 * libsignal accepts and warns, we refuse — docs/hardening/protocol.md).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as Ls from '@signalapp/libsignal-client';
import * as Ls103 from '@signalapp/libsignal-client-0103';
import { LibsignalPeer, ab } from '@sealpost/devkit/libsignal';
import { decodePreKeySignalMessage } from '../../src/messages/prekey-signal-message.ts';
import { decodeSignalMessage } from '../../src/messages/signal-message.ts';
import { deserializeSessionRecord, serializeSessionRecord } from '../../src/session/session-record.ts';
import { parseSenderCertificate, parseServerCertificate } from '../../src/sealed-sender/certificates.ts';
import { decodeSealedContent } from '../../src/sealed-sender/content.ts';
import { compareScannableFingerprints } from '../../src/fingerprint.ts';
import { deserializeKyberPreKeyRecord, deserializePreKeyRecord, deserializeSignedPreKeyRecord } from '../../src/keys/prekey-records.ts';
import { type DifferentialCase, formatResult, isTrailingKeyRejection, runDifferential } from '../support/differential.ts';

const hex = (b: Uint8Array | null | undefined): string => (b == null ? '-' : Buffer.from(b).toString('hex'));
const PER_SEED = 2500;

/**
 * libsignal's JS bridge throws when a u64 millisecond value does not fit a
 * double exactly (Rust accepted it); ours clamps at 2^53 - 1. Both summarise as 'huge'.
 */
function libMillis(read: () => number): string {
  try {
    return String(read());
  } catch (e) {
    if (/precision loss/.test(String(e))) return 'huge';
    throw e;
  }
}
const ourMillis = (ms: number): string => (ms >= Number.MAX_SAFE_INTEGER || ms > 2 ** 53 ? 'huge' : String(ms));
/** X25519 private keys are clamped on use; libsignal's accessor returns the clamped scalar. */
function clamped(priv: Uint8Array): Uint8Array {
  const k = priv.slice();
  if (k.length === 32) {
    k[0]! &= 248;
    k[31]! &= 127;
    k[31]! |= 64;
  }
  return k;
}
const SEED = 0x5ea1;

/** Valid encodings made by libsignal: two sessions' messages and records, certificates, fingerprints, prekeys. */
async function libsignalSeeds() {
  const alice = new LibsignalPeer({ name: randomUUID(), registrationId: 111 });
  const bob = new LibsignalPeer({ name: randomUUID(), registrationId: 222 });
  await alice.processBundle(bob.address, bob.generateBundle({ withOneTimePreKey: true }));
  const prekey = await alice.encrypt(bob.address, new TextEncoder().encode('first'));
  await bob.decrypt(alice.address, prekey);
  const whisper = await bob.encrypt(alice.address, new TextEncoder().encode('reply'));
  await alice.decrypt(bob.address, whisper);
  // A second session makes the first one archived in Alice's record.
  await alice.processBundle(bob.address, bob.generateBundle({ withOneTimePreKey: false }));
  const record = (await alice.sessionStore.getSession(bob.address))!.serialize();
  const bobRecord = (await bob.sessionStore.getSession(alice.address))!.serialize();

  const trustRoot = Ls.PrivateKey.generate();
  const serverKey = Ls.PrivateKey.generate();
  const server = Ls.ServerCertificate.new(7, serverKey.getPublicKey(), trustRoot);
  const sender = Ls.SenderCertificate.new(alice.name, '+15551234567', 3, alice.identity.publicKey, 1_900_000_000_000, server, serverKey);
  const inner = await Ls.signalEncrypt(ab(new TextEncoder().encode('sealed')), alice.address, bob.sessionStore, bob.identityStore);
  const usmc = Ls.UnidentifiedSenderMessageContent.new(
    inner,
    sender,
    1,
    ab(new Uint8Array(16).fill(4)),
  );
  const fp = (a: LibsignalPeer, b: LibsignalPeer) =>
    Ls.Fingerprint.new(5200, 2, ab(new Uint8Array(16).fill(1)), a.identity.publicKey, ab(new Uint8Array(16).fill(2)), b.identity.publicKey)
      .scannableFingerprint()
      .toBuffer();
  const priv = Ls.PrivateKey.generate();
  const preKey = Ls.PreKeyRecord.new(5, priv.getPublicKey(), priv).serialize();
  const signed = Ls.SignedPreKeyRecord.new(6, 1_700_000_000_000, priv.getPublicKey(), priv, alice.identity.privateKey.sign(priv.getPublicKey().serialize())).serialize();
  const kem = Ls.KEMKeyPair.generate();
  const kyber = Ls.KyberPreKeyRecord.new(8, 1_700_000_000_000, kem, alice.identity.privateKey.sign(kem.getPublicKey().serialize())).serialize();
  return {
    prekey: prekey.bytes,
    whisper: whisper.bytes,
    records: [record, bobRecord],
    server: server.serialize(),
    sender: sender.serialize(),
    usmc: usmc.serialize(),
    ourFingerprint: fp(alice, bob),
    theirFingerprint: fp(bob, alice),
    preKey,
    signed,
    kyber,
  };
}

const keyExplain = (_b: Uint8Array, lib: Parameters<typeof isTrailingKeyRejection>[1], ours: Parameters<typeof isTrailingKeyRejection>[0]) =>
  isTrailingKeyRejection(ours, lib) ? 'public key with trailing bytes (refused by us)' : undefined;

/**
 * SignalMessage gained field 6 (`addresses`, bytes) after 0.90: 0.90 skips
 * it as unknown whatever its wire type, 0.103 (whose schema we implement)
 * refuses a mistyped one. A disagreement with 0.90 counts as explained only
 * when libsignal 0.103 reads the same bytes exactly as we do.
 */
function newerSchemaExplain(read103: (b: Uint8Array) => string) {
  return (b: Uint8Array, lib: Parameters<typeof isTrailingKeyRejection>[1], ours: Parameters<typeof isTrailingKeyRejection>[0]) => {
    const key = keyExplain(b, lib, ours);
    if (key !== undefined) return key;
    let newer: { ok: true; summary: string } | { ok: false };
    try {
      newer = { ok: true, summary: read103(b) };
    } catch {
      newer = { ok: false };
    }
    const agrees = newer.ok === ours.ok && (!newer.ok || (ours.ok && newer.summary === ours.summary));
    return agrees ? 'field added after 0.90 (libsignal 0.103 agrees with us)' : undefined;
  };
}

function cases(s: Awaited<ReturnType<typeof libsignalSeeds>>): DifferentialCase[] {
  const serverSummary = (keyId: number, key: Uint8Array, sig: Uint8Array, data: Uint8Array) => `${keyId}|${hex(key)}|${hex(sig)}|${hex(data)}`;
  return [
    {
      name: 'SignalMessage',
      seeds: [s.whisper],
      perSeed: PER_SEED,
      pbStart: 1,
      pbTrailer: 8,
      libsignal: (b) => {
        const m = Ls.SignalMessage.deserialize(ab(b));
        return `${m.messageVersion()}|${m.counter()}|${hex(m.body())}|${hex(m.pqRatchet())}`;
      },
      ours: (b) => {
        const m = decodeSignalMessage(b);
        return `${m.messageVersion}|${m.counter}|${hex(m.ciphertext)}|${hex(m.pqRatchet)}`;
      },
      explain: newerSchemaExplain((b) => {
        const m = Ls103.SignalMessage.deserialize(ab(b));
        return `${m.messageVersion()}|${m.counter()}|${hex(m.body())}|${hex(m.pqRatchet())}`;
      }),
    },
    {
      name: 'PreKeySignalMessage',
      seeds: [s.prekey],
      perSeed: PER_SEED,
      pbStart: 1,
      libsignal: (b) => {
        const m = Ls.PreKeySignalMessage.deserialize(ab(b));
        return `${m.version()}|${m.registrationId()}|${m.preKeyId()}|${m.signedPreKeyId()}`;
      },
      ours: (b) => {
        const m = decodePreKeySignalMessage(b);
        return `${m.messageVersion}|${m.registrationId}|${m.preKeyId ?? null}|${m.signedPreKeyId}`;
      },
      explain: newerSchemaExplain((b) => {
        const m = Ls103.PreKeySignalMessage.deserialize(ab(b));
        return `${m.version()}|${m.registrationId()}|${m.preKeyId()}|${m.signedPreKeyId()}`;
      }),
    },
    {
      name: 'SessionRecord',
      seeds: s.records,
      perSeed: PER_SEED / 2,
      libsignal: (b) => {
        Ls.SessionRecord.deserialize(ab(b));
        return 'ok';
      },
      ours: (b) => {
        serializeSessionRecord(deserializeSessionRecord(b));
        return 'ok';
      },
    },
    {
      name: 'ServerCertificate',
      seeds: [s.server],
      perSeed: PER_SEED,
      libsignal: (b) => {
        const c = Ls.ServerCertificate.deserialize(ab(b));
        return serverSummary(c.keyId(), c.key().serialize(), c.signature(), c.certificateData());
      },
      ours: (b) => {
        const c = parseServerCertificate(b);
        return serverSummary(c.keyId, c.key, c.signature, c.certificate);
      },
      explain: keyExplain,
    },
    {
      name: 'SenderCertificate',
      seeds: [s.sender],
      perSeed: PER_SEED,
      libsignal: (b) => {
        const c = Ls.SenderCertificate.deserialize(ab(b));
        return `${c.senderUuid()}|${c.senderE164()}|${c.senderDeviceId()}|${libMillis(() => c.expiration())}|${hex(c.key().serialize())}|${c.serverCertificate().keyId()}`;
      },
      ours: (b) => {
        const c = parseSenderCertificate(b);
        const signer = 'embedded' in c.signer ? c.signer.embedded.keyId : c.signer.keyId;
        return `${c.senderUuid}|${c.senderE164 ?? null}|${c.senderDeviceId}|${ourMillis(c.expires)}|${hex(c.identityKey)}|${signer}`;
      },
      explain: keyExplain,
    },
    {
      name: 'UnidentifiedSenderMessageContent',
      seeds: [s.usmc],
      perSeed: PER_SEED,
      libsignal: (b) => {
        const c = Ls.UnidentifiedSenderMessageContent.deserialize(ab(b));
        return `${c.msgType()}|${c.contentHint()}|${hex(c.groupId())}|${hex(c.contents())}|${c.senderCertificate().senderUuid()}`;
      },
      ours: (b) => {
        const c = decodeSealedContent(b);
        const cert = parseSenderCertificate(c.senderCertificate);
        return `${c.type}|${c.contentHint}|${hex(c.groupId)}|${hex(c.contents)}|${cert.senderUuid}`;
      },
      explain: keyExplain,
    },
    {
      name: 'ScannableFingerprint',
      seeds: [s.theirFingerprint],
      perSeed: PER_SEED,
      libsignal: (b) => String(Ls.ScannableFingerprint._fromBuffer(ab(s.ourFingerprint)).compare(Ls.ScannableFingerprint._fromBuffer(ab(b)))),
      ours: (b) => String(compareScannableFingerprints(s.ourFingerprint, b)),
    },
    {
      name: 'PreKeyRecord',
      seeds: [s.preKey],
      perSeed: PER_SEED / 2,
      libsignal: (b) => {
        const r = Ls.PreKeyRecord.deserialize(ab(b));
        return `${r.id()}|${hex(r.publicKey().serialize())}|${hex(r.privateKey().serialize())}`;
      },
      ours: (b) => {
        const r = deserializePreKeyRecord(b);
        return `${r.id}|${hex(r.keyPair.publicKey)}|${hex(clamped(r.keyPair.privateKey))}`;
      },
      explain: keyExplain,
    },
    {
      name: 'SignedPreKeyRecord',
      seeds: [s.signed],
      perSeed: PER_SEED / 2,
      libsignal: (b) => {
        const r = Ls.SignedPreKeyRecord.deserialize(ab(b));
        return `${r.id()}|${libMillis(() => r.timestamp())}|${hex(r.publicKey().serialize())}|${hex(r.privateKey().serialize())}|${hex(r.signature())}`;
      },
      ours: (b) => {
        const r = deserializeSignedPreKeyRecord(b);
        return `${r.id}|${ourMillis(r.timestamp)}|${hex(r.keyPair.publicKey)}|${hex(clamped(r.keyPair.privateKey))}|${hex(r.signature)}`;
      },
      explain: keyExplain,
    },
    {
      name: 'KyberPreKeyRecord',
      seeds: [s.kyber],
      perSeed: PER_SEED / 5,
      libsignal: (b) => {
        const r = Ls.KyberPreKeyRecord.deserialize(ab(b));
        return `${r.id()}|${libMillis(() => r.timestamp())}|${hex(r.publicKey().serialize())}|${hex(r.secretKey().serialize())}|${hex(r.signature())}`;
      },
      ours: (b) => {
        const r = deserializeKyberPreKeyRecord(b);
        return `${r.id}|${ourMillis(r.timestamp)}|${hex(r.keyPair.publicKey)}|${hex(r.keyPair.secretKey)}|${hex(r.signature)}`;
      },
    },
  ];
}

describe('decoders against libsignal-client 0.90 over mutated inputs', async () => {
  const seeds = await libsignalSeeds();

  it('interop differential: the one documented disagreement — a ratchet key with a trailing byte (libsignal accepts and warns, we refuse)', () => {
    // SignalMessage field 1 (tag 0x0a) holds the 33-byte ratchet key right after the version byte.
    const m = seeds.whisper;
    expect([m[1], m[2]]).toEqual([0x0a, 0x21]);
    const longer = Uint8Array.from([m[0]!, 0x0a, 0x22, ...m.subarray(3, 36), 0x00, ...m.subarray(36)]);
    expect(Ls.SignalMessage.deserialize(ab(longer)).counter()).toBe(decodeSignalMessage(m).counter);
    expect(() => decodeSignalMessage(longer)).toThrow(/33 bytes/);
  });
  it('interop differential: a mistyped field 6 (SignalMessage.addresses, added after 0.90) — 0.90 skips it, 0.103 and we refuse', () => {
    // A mutant the random seeds produced: the 8-byte MAC boundary moved, so ciphertext bytes read as tag 0x30 (field 6, varint).
    const bytes = new Uint8Array(Buffer.from(
      '440a21057de6189010fae0e1184fde3d71b4b2e39189ee8da1c8c7feff0d73e2e50a41341000180022101b4a117b97a21b3ee0af77d423713b6b306d2a0401010100a54d800988c9612e',
      'hex',
    ));
    expect(Ls.SignalMessage.deserialize(ab(bytes)).counter()).toBe(0);
    expect(() => Ls103.SignalMessage.deserialize(ab(bytes))).toThrow();
    expect(() => decodeSignalMessage(bytes)).toThrow(/field 6 has wire type 0/);
  });
  for (const c of cases(seeds)) {
    it(`interop differential: ${c.name} accepts exactly what libsignal accepts`, async () => {
      const result = await runDifferential(c, SEED);
      console.log(formatResult(result));
      if (result.unexplained.length > 0) console.log('unexplained disagreements:', JSON.stringify(result.unexplained.slice(0, 4)));
      expect(result.crashes).toEqual([]);
      expect(result.unexplained).toEqual([]);
      expect(result.total).toBeGreaterThan(c.perSeed);
    }, 120_000);
  }
});
