/**
 * libsignal-client 0.90.0's proof of a session vector (see session-vector.ts,
 * which computes the vector with our code only and so also runs in a browser).
 */
import { ProtocolAddress, SessionRecord as LsSessionRecord } from '@signalapp/libsignal-client';
import { curveKeyPairFromPrivate, generateIdentityKeyPair } from '@sealpost/protocol';
import { nextChainKey, rootKeyStep } from '@sealpost/protocol/hazmat';
import { toHex } from '@sealpost/protocol/primitives';
import { ab, decodeLibsignalSessionRecord } from '../libsignal/fixed-keys.ts';
import { LibsignalPeer } from '../libsignal/peer.ts';
import { check, equal, h, type SessionVector } from './session-vector.ts';

/** What libsignal confirmed, for the generator's log and the replay test. */
export interface LibsignalProof {
  decrypted: { aliceFirst: string[]; bobReplies: string[]; aliceAfterReply: string[] };
  /** libsignal's responder state after Alice's first messages agrees with our R_1 and C_{1,n}. */
  responderStateMatches: boolean;
}

/**
 * libsignal-client 0.90.0 decrypts the vector's exact bytes:
 *  1. A libsignal Bob holding Bob's fixed keys (identity, signed, one-time,
 *     Kyber) decrypts Alice's PreKey messages — fully independent of our
 *     state. Its resulting state is then checked against our secrets: its
 *     receiver chain key equals our C_{1,n}, and our root step from R_1 with
 *     libsignal's own (random) new ratchet key reproduces its root key and
 *     sending chain key.
 *  2. A libsignal Alice holding our serialized Alice record decrypts Bob's
 *     replies (whose ratchet key we fixed, so only such a hand-over can check
 *     them); likewise a libsignal Bob holding our Bob record decrypts Alice's
 *     messages on her second chain.
 */
export async function proveWithLibsignal(vector: SessionVector): Promise<LibsignalProof> {
  const { inputs, outputs } = vector;
  const aliceIdentity = generateIdentityKeyPair(h(inputs.alice.identityPrivate));
  const bobIdentity = generateIdentityKeyPair(h(inputs.bob.identityPrivate));
  const aliceAddress = ProtocolAddress.new('alice', 1);
  const bobAddress = ProtocolAddress.new('bob', 1);
  const decoder = new TextDecoder();
  const proof: LibsignalProof = {
    decrypted: { aliceFirst: [], bobReplies: [], aliceAfterReply: [] },
    responderStateMatches: false,
  };

  // 1. libsignal Bob from fixed keys.
  const lsBob = new LibsignalPeer({
    name: 'bob',
    registrationId: inputs.bob.registrationId,
    identityPrivateKey: bobIdentity.privateKey,
  });
  check(toHex(lsBob.identityPublic) === outputs.bob.identityPublic, 'libsignal derives a different Bob identity key');
  const signedPrivate = curveKeyPairFromPrivate(h(inputs.bob.signedPreKey.private)).privateKey;
  const oneTime = inputs.bob.oneTimePreKey;
  await lsBob.installFixedPreKeys({
    signedPreKey: {
      id: inputs.bob.signedPreKey.id,
      privateKey: signedPrivate,
      signature: h(outputs.bob.signedPreKeySignature),
      timestamp: inputs.bob.signedPreKey.timestampMs,
    },
    ...(oneTime === null
      ? {}
      : { oneTimePreKey: { id: oneTime.id, privateKey: curveKeyPairFromPrivate(h(oneTime.private)).privateKey } }),
    kyberPreKey: {
      id: inputs.bob.kyberPreKey.id,
      publicKey: h(outputs.bob.kyberPreKeyPublic),
      secretKey: h(outputs.bob.kyberPreKeySecret),
      signature: h(outputs.bob.kyberPreKeySignature),
      timestamp: inputs.bob.kyberPreKey.timestampMs,
    },
  });
  for (const m of outputs.messages.aliceFirst) {
    const pt = await lsBob.decrypt(aliceAddress, { type: 3, bytes: h(m) });
    proof.decrypted.aliceFirst.push(decoder.decode(pt));
  }
  const lsState = decodeLibsignalSessionRecord(lsBob.sessionStore.rawSession(aliceAddress)!);
  check(lsState !== undefined, 'libsignal Bob has no session after the PreKey messages');
  const chain = lsState!.receiverChains.find((c) => toHex(c.senderRatchetKey) === outputs.alice.firstRatchetPublic);
  check(chain !== undefined, "libsignal Bob has no receiver chain for Alice's first ratchet key");
  let ck = h(outputs.aliceFirstRatchetStep.chainKey);
  for (let i = 0; i < chain!.chainKeyIndex; i++) ck = nextChainKey(ck);
  const sender = lsState!.senderChain!;
  const stepFromLs = rootKeyStep(
    h(outputs.aliceFirstRatchetStep.rootKey),
    h(outputs.alice.firstRatchetPublic),
    sender.senderRatchetKeyPrivate!,
  );
  proof.responderStateMatches =
    chain!.chainKeyIndex === outputs.messages.aliceFirst.length &&
    equal(chain!.chainKey, ck) &&
    equal(stepFromLs.rootKey, lsState!.rootKey) &&
    equal(stepFromLs.chainKey, sender.chainKey) &&
    toHex(lsState!.aliceBaseKey) === outputs.alice.basePublic &&
    toHex(lsState!.remoteIdentityPublic) === outputs.alice.identityPublic;

  // 2a. libsignal Alice holding our Alice record reads Bob's replies.
  const alicePeer = { name: 'alice', registrationId: inputs.alice.registrationId, identityPrivateKey: aliceIdentity.privateKey };
  proof.decrypted.bobReplies.push(...(await libsignalReads(alicePeer, bobAddress, outputs.records.aliceAfterFirstMessages, outputs.messages.bobReplies)));

  // 2b. libsignal Bob holding our Bob record reads Alice's second chain.
  const bobPeer = { name: 'bob', registrationId: inputs.bob.registrationId, identityPrivateKey: bobIdentity.privateKey };
  proof.decrypted.aliceAfterReply.push(...(await libsignalReads(bobPeer, aliceAddress, outputs.records.bobAfterReplies, outputs.messages.aliceAfterReply)));
  return proof;
}

/** A libsignal device holding one of OUR records (hex) decrypts `messages` (SignalMessages, hex) from `remote`. */
async function libsignalReads(
  peer: { name: string; registrationId: number; identityPrivateKey: Uint8Array },
  remote: ProtocolAddress,
  recordHex: string,
  messages: string[],
): Promise<string[]> {
  const ls = new LibsignalPeer(peer);
  await ls.sessionStore.saveSession(remote, LsSessionRecord.deserialize(ab(h(recordHex))));
  const plaintexts: string[] = [];
  for (const m of messages) plaintexts.push(new TextDecoder().decode(await ls.decrypt(remote, { type: 2, bytes: h(m) })));
  return plaintexts;
}
