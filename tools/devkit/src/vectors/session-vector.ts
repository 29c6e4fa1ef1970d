/**
 * Whole-session known-answer vectors (nobody publishes PQXDH or
 * whole-message vectors, so we make our own and have libsignal prove them).
 *
 * `computeSessionVector` runs OUR code from fixed inputs (every private key
 * and every random input pinned) and returns every intermediate and every
 * message byte. `proveWithLibsignal` then has libsignal-client 0.90.0,
 * holding the same fixed keys, decrypt those exact bytes and checks
 * libsignal's own derived state against our secrets.
 *
 * Shared by scripts/gen-session-vectors.ts (writes the file), the vector
 * runner (regenerates it) and packages/protocol/test/vectors/
 * session-vectors.test.ts (replays it). No vitest imports here.
 */
import {
  curveKeyPairFromPrivate,
  decryptMessage,
  decryptPreKeyMessage,
  encryptMessage,
  generateIdentityKeyPair,
  generateKyberPreKey,
  generatePreKey,
  generateSignedPreKey,
  initiateSession,
  kyberEncapsulate,
  serializeSessionRecord,
  type PreKeyBundle,
  type SessionRecord,
} from '@sealpost/protocol';
import {
  chainKeyStep,
  derivePqxdhKeys,
  nextChainKey,
  pqxdhInitiatorSecretInput,
  pqxdhResponderSecretInput,
  rootKeyStep,
} from '@sealpost/protocol/hazmat';
import { fromHex, toHex } from '@sealpost/protocol/primitives';

/** Hex strings throughout, as stored in the JSON file. */
export interface SessionVectorInputs {
  description: string;
  alice: {
    identityPrivate: string;
    registrationId: number;
    /** EK_A. */
    baseKeyPrivate: string;
    /** Kyber1024 encapsulation randomness (32 bytes). */
    kemEncapsulationSeed: string;
    /** Alice's first sending ratchet key. */
    firstRatchetKeyPrivate: string;
    /** Alice's ratchet key after Bob's first reply. */
    secondRatchetKeyPrivate: string;
    /** Session creation time, ms (recorded in the pending prekey; not on the wire). */
    nowMs: number;
  };
  bob: {
    identityPrivate: string;
    registrationId: number;
    signedPreKey: { id: number; private: string; timestampMs: number; signatureRandom: string };
    oneTimePreKey: { id: number; private: string } | null;
    kyberPreKey: { id: number; keyGenSeed: string; timestampMs: number; signatureRandom: string };
    /** Bob's ratchet key when he answers (his DH step on Alice's first message). */
    replyRatchetKeyPrivate: string;
    /** Bob's ratchet key after Alice's second chain arrives. */
    secondRatchetKeyPrivate: string;
  };
  /** UTF-8 plaintexts. */
  plaintexts: { aliceFirst: string[]; bobReplies: string[]; aliceAfterReply: string[] };
}

export interface SessionVectorOutputs {
  alice: { identityPublic: string; basePublic: string; firstRatchetPublic: string; secondRatchetPublic: string };
  bob: {
    identityPublic: string;
    signedPreKeyPublic: string;
    signedPreKeySignature: string;
    oneTimePreKeyPublic: string | null;
    kyberPreKeyPublic: string;
    kyberPreKeySecret: string;
    kyberPreKeySignature: string;
    replyRatchetPublic: string;
  };
  pqxdh: {
    kemCiphertext: string;
    kemSharedSecret: string;
    /** 0xFF*32 || DH1 || DH2 || DH3 [|| DH4] || SS. */
    secretInput: string;
    /** R_0, C_0 and the (unused) SPQR key: HKDF(secretInput, info "WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024"). */
    rootKey: string;
    chainKey: string;
    pqrKey: string;
  };
  /** Alice's immediate root step: (R_1, C_{1,0}) = root step(R_0, DH(first ratchet key, SPK_B)). */
  aliceFirstRatchetStep: { rootKey: string; chainKey: string };
  /** Keys of Alice's first message (C_{1,0}). */
  firstMessageKeys: { cipherKey: string; macKey: string; iv: string };
  /** Serialized messages: PreKeySignalMessages, then SignalMessages. */
  messages: { aliceFirst: string[]; bobReplies: string[]; aliceAfterReply: string[] };
  /** Our serialized SessionRecords (libsignal RecordStructure layout) at the two hand-over points. */
  records: { aliceAfterFirstMessages: string; bobAfterReplies: string };
}

export interface SessionVector {
  inputs: SessionVectorInputs;
  outputs: SessionVectorOutputs;
}

/** Shared with session-vector-proof.ts. */
export const h = fromHex;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`session vector: ${what}`);
}

/** Runs our implementation over the fixed inputs; every output is deterministic. */
export function computeSessionVector(inputs: SessionVectorInputs): SessionVectorOutputs {
  const a = inputs.alice;
  const b = inputs.bob;
  const aliceIdentity = generateIdentityKeyPair(h(a.identityPrivate));
  const bobIdentity = generateIdentityKeyPair(h(b.identityPrivate));
  const signed = generateSignedPreKey({
    identity: bobIdentity,
    id: b.signedPreKey.id,
    timestamp: b.signedPreKey.timestampMs,
    random32: h(b.signedPreKey.private),
    signatureRandom64: h(b.signedPreKey.signatureRandom),
  });
  const oneTime = b.oneTimePreKey === null ? undefined : generatePreKey(b.oneTimePreKey.id, h(b.oneTimePreKey.private));
  const kyber = generateKyberPreKey({
    identity: bobIdentity,
    id: b.kyberPreKey.id,
    timestamp: b.kyberPreKey.timestampMs,
    seed64: h(b.kyberPreKey.keyGenSeed),
    signatureRandom64: h(b.kyberPreKey.signatureRandom),
  });
  const bundle: PreKeyBundle = {
    registrationId: b.registrationId,
    deviceId: 1,
    preKeyId: oneTime?.id ?? null,
    preKeyPublic: oneTime?.keyPair.publicKey ?? null,
    signedPreKeyId: signed.id,
    signedPreKeyPublic: signed.keyPair.publicKey,
    signedPreKeySignature: signed.signature,
    identityKey: bobIdentity.publicKey,
    kyberPreKeyId: kyber.id,
    kyberPreKeyPublic: kyber.keyPair.publicKey,
    kyberPreKeySignature: kyber.signature,
  };

  // The PQXDH seams, step by step.
  const base = curveKeyPairFromPrivate(h(a.baseKeyPrivate));
  const { ciphertext, sharedSecret } = kyberEncapsulate(kyber.keyPair.publicKey, h(a.kemEncapsulationSeed));
  const secretInput = pqxdhInitiatorSecretInput({
    ourIdentityPrivate: aliceIdentity.privateKey,
    ourBasePrivate: base.privateKey,
    theirIdentityKey: bobIdentity.publicKey,
    theirSignedPreKey: signed.keyPair.publicKey,
    theirOneTimePreKey: oneTime?.keyPair.publicKey,
    kemSharedSecret: sharedSecret,
  });
  const responderInput = pqxdhResponderSecretInput({
    ourIdentityPrivate: bobIdentity.privateKey,
    ourSignedPreKeyPrivate: signed.keyPair.privateKey,
    ourOneTimePreKeyPrivate: oneTime?.keyPair.privateKey,
    theirIdentityKey: aliceIdentity.publicKey,
    theirBaseKey: base.publicKey,
    kemSharedSecret: sharedSecret,
  });
  check(equal(secretInput, responderInput), 'initiator and responder PQXDH secret inputs differ');
  const keys = derivePqxdhKeys(secretInput);
  const firstRatchet = curveKeyPairFromPrivate(h(a.firstRatchetKeyPrivate));
  const step = rootKeyStep(keys.rootKey, signed.keyPair.publicKey, firstRatchet.privateKey);
  const firstKeys = chainKeyStep(step.chainKey, 0).messageKeys;

  // Alice: session from the bundle, then her first messages (all PreKey).
  let alice: SessionRecord = initiateSession({
    ourIdentity: aliceIdentity,
    ourRegistrationId: a.registrationId,
    bundle,
    baseKeyPrivate: h(a.baseKeyPrivate),
    kemEncapsulationSeed: h(a.kemEncapsulationSeed),
    ratchetKeyPrivate: h(a.firstRatchetKeyPrivate),
    now: a.nowMs,
    spqr: false, // the recorded vectors predate SPQR: replayed on the no-SPQR (V0) path
  }).record;
  check(equal(alice.current!.rootKey, step.rootKey), 'session root key differs from the root-step seam');
  check(equal(alice.current!.unacknowledged!.kyberPreKey!.ciphertext, ciphertext), 'session Kyber ciphertext differs from the seam');
  const aliceFirst: Uint8Array[] = [];
  for (const p of inputs.plaintexts.aliceFirst) {
    const out = encryptMessage({ record: alice, plaintext: utf8(p), now: a.nowMs });
    check(out.message.type === 'prekey', 'Alice before any reply must send PreKey messages');
    alice = out.record;
    aliceFirst.push(out.message.serialized);
  }
  const aliceAfterFirstMessages = serializeSessionRecord(alice);

  // Bob: decrypts them, answers on a new chain.
  let bob: SessionRecord | undefined;
  for (const [i, m] of aliceFirst.entries()) {
    const out = decryptPreKeyMessage({
      record: bob,
      ourIdentity: bobIdentity,
      ourRegistrationId: b.registrationId,
      message: m,
      loadSignedPreKey: (id) => (id === signed.id ? signed : undefined),
      loadPreKey: (id) => (oneTime !== undefined && id === oneTime.id ? oneTime : undefined),
      loadKyberPreKey: (id) => (id === kyber.id ? kyber : undefined),
      ratchetKeyPrivate: h(b.replyRatchetKeyPrivate),
      spqr: false,
    });
    check(equal(out.plaintext, utf8(inputs.plaintexts.aliceFirst[i]!)), `Bob decrypted Alice's message ${i} wrongly`);
    bob = out.record;
  }
  const bobReplies: Uint8Array[] = [];
  for (const p of inputs.plaintexts.bobReplies) {
    const out = encryptMessage({ record: bob!, plaintext: utf8(p) });
    check(out.message.type === 'whisper', 'Bob must answer with SignalMessages');
    bob = out.record;
    bobReplies.push(out.message.serialized);
  }
  const bobAfterReplies = serializeSessionRecord(bob!);

  // Alice: reads the replies (a DH step), writes on her second chain.
  for (const [i, m] of bobReplies.entries()) {
    const out = decryptMessage({ record: alice, message: m, ratchetKeyPrivate: h(a.secondRatchetKeyPrivate) });
    check(equal(out.plaintext, utf8(inputs.plaintexts.bobReplies[i]!)), `Alice decrypted Bob's reply ${i} wrongly`);
    alice = out.record;
  }
  const aliceAfterReply: Uint8Array[] = [];
  for (const p of inputs.plaintexts.aliceAfterReply) {
    const out = encryptMessage({ record: alice, plaintext: utf8(p), now: a.nowMs });
    check(out.message.type === 'whisper', 'Alice after a reply must send SignalMessages');
    alice = out.record;
    aliceAfterReply.push(out.message.serialized);
  }
  for (const [i, m] of aliceAfterReply.entries()) {
    const out = decryptMessage({ record: bob, message: m, ratchetKeyPrivate: h(b.secondRatchetKeyPrivate) });
    check(equal(out.plaintext, utf8(inputs.plaintexts.aliceAfterReply[i]!)), `Bob decrypted Alice's message ${i} after the reply wrongly`);
    bob = out.record;
  }

  return {
    alice: {
      identityPublic: toHex(aliceIdentity.publicKey),
      basePublic: toHex(base.publicKey),
      firstRatchetPublic: toHex(firstRatchet.publicKey),
      secondRatchetPublic: toHex(curveKeyPairFromPrivate(h(a.secondRatchetKeyPrivate)).publicKey),
    },
    bob: {
      identityPublic: toHex(bobIdentity.publicKey),
      signedPreKeyPublic: toHex(signed.keyPair.publicKey),
      signedPreKeySignature: toHex(signed.signature),
      oneTimePreKeyPublic: oneTime === undefined ? null : toHex(oneTime.keyPair.publicKey),
      kyberPreKeyPublic: toHex(kyber.keyPair.publicKey),
      kyberPreKeySecret: toHex(kyber.keyPair.secretKey),
      kyberPreKeySignature: toHex(kyber.signature),
      replyRatchetPublic: toHex(curveKeyPairFromPrivate(h(b.replyRatchetKeyPrivate)).publicKey),
    },
    pqxdh: {
      kemCiphertext: toHex(ciphertext),
      kemSharedSecret: toHex(sharedSecret),
      secretInput: toHex(secretInput),
      rootKey: toHex(keys.rootKey),
      chainKey: toHex(keys.chainKey),
      pqrKey: toHex(keys.pqrKey),
    },
    aliceFirstRatchetStep: { rootKey: toHex(step.rootKey), chainKey: toHex(step.chainKey) },
    firstMessageKeys: { cipherKey: toHex(firstKeys.cipherKey), macKey: toHex(firstKeys.macKey), iv: toHex(firstKeys.iv) },
    messages: {
      aliceFirst: aliceFirst.map(toHex),
      bobReplies: bobReplies.map(toHex),
      aliceAfterReply: aliceAfterReply.map(toHex),
    },
    records: { aliceAfterFirstMessages: toHex(aliceAfterFirstMessages), bobAfterReplies: toHex(bobAfterReplies) },
  };
}
