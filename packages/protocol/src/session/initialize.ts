/**
 * Session initialisation from explicit keys (libsignal
 * `initialize_alice_session` / `initialize_bob_session`). Everything random
 * is an input, so vectors can pin every byte.
 *
 * Alice (initiator): after PQXDH (R_0, C_0), her first receiving chain is
 * Bob's signed prekey (his initial ratchet key) with C_0, and she ratchets
 * once at once: (R_1, C_1) = root step(R_0, DH(her first ratchet key, SPK_B))
 * becomes her sending chain. Bob (responder) starts with R_0 and sends on
 * C_0 under his signed prekey pair.
 *
 * Both start SPQR (the triple ratchet's post-quantum part) from the PQXDH
 * SPQR key, requiring V1 of the peer as libsignal ≥ 0.92 does; a 0.90 peer
 * (which offers V1 and would accept V0) negotiates V1 with us. `spqr: false`
 * starts without SPQR (an empty state, V0): the pre-SPQR sessions the
 * recorded vectors replay.
 */
import { InvalidMessageError } from '../errors.ts';
import { type CurveKeyPair, checkCurvePublicKey, isCanonicalCurvePublicKey } from '../keys/curve-key.ts';
import { kyberDecapsulate, kyberEncapsulate } from '../keys/kem-key.ts';
import { pqxdhInitiator, pqxdhResponder } from '../pqxdh/pqxdh.ts';
import { CIPHERTEXT_MESSAGE_CURRENT_VERSION } from '../ratchet/constants.ts';
import { rootKeyStep } from '../ratchet/root-key.ts';
import { equalBytes } from '../primitives/bytes.ts';
import { initialSessionPqState } from '../spqr/triple-ratchet.ts';
import type { SessionState } from './session-state.ts';

const EMPTY = new Uint8Array(0);

/** A private copy of a key pair. */
function copyPair(pair: CurveKeyPair): CurveKeyPair {
  return { publicKey: pair.publicKey.slice(), privateKey: pair.privateKey.slice() };
}

function pqStateFor(pqrKey: Uint8Array, isInitiator: boolean, ourIdentity: Uint8Array, theirIdentity: Uint8Array, spqr: boolean | undefined): Uint8Array {
  if (spqr === false) return EMPTY;
  return initialSessionPqState(pqrKey, isInitiator, equalBytes(ourIdentity, theirIdentity));
}

/** Explicit inputs for the initiator's session. */
export interface AliceSessionInputs {
  readonly ourIdentity: CurveKeyPair;
  readonly ourBaseKeyPair: CurveKeyPair;
  readonly theirIdentityKey: Uint8Array;
  readonly theirSignedPreKey: Uint8Array;
  readonly theirOneTimePreKey?: Uint8Array | undefined;
  /** Their first ratchet key; libsignal uses the signed prekey. */
  readonly theirRatchetKey: Uint8Array;
  /** Their Kyber1024 prekey, 0x08-prefixed. */
  readonly theirKyberPreKey: Uint8Array;
  /** 32-byte Kyber encapsulation randomness. */
  readonly kyberEncapsulationSeed?: Uint8Array | undefined;
  /** Our first sending ratchet key pair. */
  readonly sendingRatchetKeyPair: CurveKeyPair;
  /** false: no SPQR (V0). Default true: SPQR V1 required. */
  readonly spqr?: boolean | undefined;
}

/**
 * Builds the initiator's state. Returns it with the Kyber ciphertext to put
 * in PreKeySignalMessages (the caller records ids and pending material).
 */
export function initializeAliceSession(inputs: AliceSessionInputs): { state: SessionState; kyberCiphertext: Uint8Array } {
  checkCurvePublicKey(inputs.theirIdentityKey, 'their identity key');
  checkCurvePublicKey(inputs.theirRatchetKey, 'their ratchet key');
  const { ciphertext, sharedSecret } = kyberEncapsulate(inputs.theirKyberPreKey, inputs.kyberEncapsulationSeed);
  const keys = pqxdhInitiator({
    ourIdentityPrivate: inputs.ourIdentity.privateKey,
    ourBasePrivate: inputs.ourBaseKeyPair.privateKey,
    theirIdentityKey: inputs.theirIdentityKey,
    theirSignedPreKey: inputs.theirSignedPreKey,
    theirOneTimePreKey: inputs.theirOneTimePreKey,
    kemSharedSecret: sharedSecret,
  });
  const sending = rootKeyStep(keys.rootKey, inputs.theirRatchetKey, inputs.sendingRatchetKeyPair.privateKey);
  const state: SessionState = {
    version: CIPHERTEXT_MESSAGE_CURRENT_VERSION,
    // Every key the state keeps is copied: the caller may wipe or reuse its buffers (issue 11 item 12).
    localIdentityKey: inputs.ourIdentity.publicKey.slice(),
    remoteIdentityKey: inputs.theirIdentityKey.slice(),
    rootKey: sending.rootKey,
    previousCounter: 0,
    senderChain: { ratchetKeyPair: copyPair(inputs.sendingRatchetKeyPair), chainKey: { key: sending.chainKey, index: 0 } },
    receiverChains: [{ senderRatchetKey: inputs.theirRatchetKey.slice(), chainKey: { key: keys.chainKey, index: 0 }, messageKeys: [] }],
    unacknowledged: undefined,
    remoteRegistrationId: 0,
    localRegistrationId: 0,
    aliceBaseKey: inputs.ourBaseKeyPair.publicKey.slice(),
    pqRatchetState: pqStateFor(keys.pqrKey, true, inputs.ourIdentity.publicKey, inputs.theirIdentityKey, inputs.spqr),
  };
  return { state, kyberCiphertext: ciphertext };
}

/** Explicit inputs for the responder's session. */
export interface BobSessionInputs {
  readonly ourIdentity: CurveKeyPair;
  readonly ourSignedPreKeyPair: CurveKeyPair;
  readonly ourOneTimePreKeyPair?: CurveKeyPair | undefined;
  /** Our first ratchet key pair; libsignal uses the signed prekey pair. */
  readonly ourRatchetKeyPair: CurveKeyPair;
  /** Our Kyber1024 secret key, 0x08-prefixed. */
  readonly ourKyberSecretKey: Uint8Array;
  readonly theirIdentityKey: Uint8Array;
  readonly theirBaseKey: Uint8Array;
  /** Their Kyber ciphertext, 0x08-prefixed. */
  readonly theirKyberCiphertext: Uint8Array;
  /** false: no SPQR (V0). Default true: SPQR V1 required. */
  readonly spqr?: boolean | undefined;
}

/** Builds the responder's state; refuses a non-canonical base key as libsignal does. */
export function initializeBobSession(inputs: BobSessionInputs): SessionState {
  checkCurvePublicKey(inputs.theirIdentityKey, 'their identity key');
  if (!isCanonicalCurvePublicKey(inputs.theirBaseKey)) {
    throw new InvalidMessageError('PreKeySignalMessage: incoming base key is invalid');
  }
  const keys = pqxdhResponder({
    ourIdentityPrivate: inputs.ourIdentity.privateKey,
    ourSignedPreKeyPrivate: inputs.ourSignedPreKeyPair.privateKey,
    ourOneTimePreKeyPrivate: inputs.ourOneTimePreKeyPair?.privateKey,
    theirIdentityKey: inputs.theirIdentityKey,
    theirBaseKey: inputs.theirBaseKey,
    kemSharedSecret: kyberDecapsulate(inputs.ourKyberSecretKey, inputs.theirKyberCiphertext),
  });
  return {
    version: CIPHERTEXT_MESSAGE_CURRENT_VERSION,
    // Copied, as above: the signed prekey pair in particular stays the caller's record.
    localIdentityKey: inputs.ourIdentity.publicKey.slice(),
    remoteIdentityKey: inputs.theirIdentityKey.slice(),
    rootKey: keys.rootKey,
    previousCounter: 0,
    senderChain: { ratchetKeyPair: copyPair(inputs.ourRatchetKeyPair), chainKey: { key: keys.chainKey, index: 0 } },
    receiverChains: [],
    unacknowledged: undefined,
    remoteRegistrationId: 0,
    localRegistrationId: 0,
    aliceBaseKey: inputs.theirBaseKey.slice(),
    pqRatchetState: pqStateFor(keys.pqrKey, false, inputs.ourIdentity.publicKey, inputs.theirIdentityKey, inputs.spqr),
  };
}
