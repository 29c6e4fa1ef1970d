/**
 * The ML-KEM Braid V1 state machine (both roles), chunked through the
 * erasure code. Each epoch one side is send_ek (generates an ML-KEM-768 key,
 * sends header then ek) and the other send_ct (encapsulates: ct1 from the
 * header alone, ct2 once ek arrived); roles swap every epoch.
 * Pure functions: inputs are never modified; randomness comes only from the
 * injected `randomBytes` (64 bytes at key generation, 32 at encaps1).
 */
import {
  authenticatorUpdate,
  MAC_SIZE,
  macCiphertext,
  macHeader,
  newAuthenticator,
  verifyCiphertext,
  verifyHeader,
  type Authenticator,
} from './authenticator.ts';
import { ascii, concat, hkdf, u64be, ZERO32, type RandomBytes } from './crypto.ts';
import { SpqrError } from './errors.ts';
import * as kem from './incremental-mlkem768.ts';
import { LABEL_SCKA_KEY } from './labels.ts';
import type { MessagePayload, SpqrMessage } from './message.ts';
import { decoderAddChunk, decoderMessage, encoderNextChunk, newDecoder, newEncoder, type Chunk, type PolyDecoderState } from './polynomial.ts';
import type { V1State } from './state.ts';

export interface EpochSecret {
  epoch: bigint;
  secret: Uint8Array;
}

const HDR_MSG = kem.HEADER_SIZE + MAC_SIZE; // 96
const CT2_MSG = kem.CIPHERTEXT2_SIZE + MAC_SIZE; // 160

export function initialBraidState(authKey: Uint8Array, isA2B: boolean): V1State {
  const auth = newAuthenticator(authKey, 1n);
  return isA2B ? { kind: 'keysUnsampled', epoch: 1n, auth } : { kind: 'noHeaderReceived', epoch: 1n, auth, receivingHdr: newDecoder(HDR_MSG) };
}

function draw(randomBytes: RandomBytes, n: number): Uint8Array {
  const b = randomBytes(n);
  if (!(b instanceof Uint8Array) || b.length !== n) throw new RangeError(`randomBytes(${n}) returned the wrong length`);
  return b;
}

function sckaKey(ss: Uint8Array, epoch: bigint): Uint8Array {
  return hkdf(ZERO32, ss, concat(ascii(LABEL_SCKA_KEY), u64be(epoch)), 32);
}

type BraidSent = { state: V1State; msg: SpqrMessage; secret?: EpochSecret };

/** braidSend's result (a module function, not a per-call closure: this runs once per message). */
function sent(epoch: bigint, state: V1State, payload: MessagePayload, secret?: EpochSecret): BraidSent {
  return secret === undefined ? { state, msg: { epoch, payload } } : { state, msg: { epoch, payload }, secret };
}

/** The message this state sends next, and the state after sending it. */
export function braidSend(s: V1State, randomBytes: RandomBytes): BraidSent {
  const epoch = s.epoch;
  switch (s.kind) {
    case 'keysUnsampled': {
      const keys = kem.generateKeys(draw(randomBytes, kem.KEY_GENERATION_SEED_SIZE));
      const mac = macHeader(s.auth, epoch, keys.hdr);
      const n = encoderNextChunk(newEncoder(concat(keys.hdr, mac)));
      return sent(epoch, { kind: 'keysSampled', epoch, auth: s.auth, ek: keys.ek, dk: keys.dk, sendingHdr: n.state }, { type: 'hdr', chunk: n.chunk });
    }
    // The steady states below send one chunk per message: the new state is
    // spelled out field by field rather than spread (a spread of the V1State
    // union takes V8's generic object-clone path on every message).
    case 'keysSampled': {
      const n = encoderNextChunk(s.sendingHdr);
      return sent(epoch, { kind: 'keysSampled', epoch, auth: s.auth, ek: s.ek, dk: s.dk, sendingHdr: n.state }, { type: 'hdr', chunk: n.chunk });
    }
    case 'headerSent': {
      const n = encoderNextChunk(s.sendingEk);
      const state: V1State = { kind: 'headerSent', epoch, auth: s.auth, dk: s.dk, sendingEk: n.state, receivingCt1: s.receivingCt1 };
      return sent(epoch, state, { type: 'ek', chunk: n.chunk });
    }
    case 'ct1Received': {
      const n = encoderNextChunk(s.sendingEk);
      return sent(epoch, { kind: 'ct1Received', epoch, auth: s.auth, dk: s.dk, ct1: s.ct1, sendingEk: n.state }, { type: 'ekCt1Ack', chunk: n.chunk });
    }
    case 'ekSentCt1Received':
      return sent(epoch, s, { type: 'ct1Ack' });
    case 'noHeaderReceived':
    case 'ct1Acknowledged':
      return sent(epoch, s, { type: 'none' });
    case 'headerReceived': {
      const e = kem.encaps1(s.hdr, draw(randomBytes, kem.ENCAPS_RANDOMNESS_SIZE));
      const secret = sckaKey(e.sharedSecret, epoch);
      const auth = authenticatorUpdate(s.auth, epoch, secret);
      const n = encoderNextChunk(newEncoder(e.ct1));
      const state: V1State = { kind: 'ct1Sampled', epoch, auth, hdr: s.hdr, es: e.es, ct1: e.ct1, sendingCt1: n.state, receivingEk: s.receivingEk };
      return sent(epoch, state, { type: 'ct1', chunk: n.chunk }, { epoch, secret });
    }
    case 'ct1Sampled': {
      const n = encoderNextChunk(s.sendingCt1);
      const state: V1State = { kind: 'ct1Sampled', epoch, auth: s.auth, hdr: s.hdr, es: s.es, ct1: s.ct1, sendingCt1: n.state, receivingEk: s.receivingEk };
      return sent(epoch, state, { type: 'ct1', chunk: n.chunk });
    }
    case 'ekReceivedCt1Sampled': {
      const n = encoderNextChunk(s.sendingCt1);
      const state: V1State = { kind: 'ekReceivedCt1Sampled', epoch, auth: s.auth, es: s.es, ek: s.ek, ct1: s.ct1, sendingCt1: n.state };
      return sent(epoch, state, { type: 'ct1', chunk: n.chunk });
    }
    case 'ct2Sampled': {
      const n = encoderNextChunk(s.sendingCt2);
      return sent(epoch, { kind: 'ct2Sampled', epoch, auth: s.auth, sendingCt2: n.state }, { type: 'ct2', chunk: n.chunk });
    }
  }
}

function ct2Sampled(epoch: bigint, auth: Authenticator, ek: Uint8Array, es: Uint8Array, ct1: Uint8Array): V1State {
  const ct2 = kem.encaps2(ek, es);
  const mac = macCiphertext(auth, epoch, concat(ct1, ct2));
  return { kind: 'ct2Sampled', epoch, auth, sendingCt2: newEncoder(concat(ct2, mac)) };
}

function chunkOf(p: MessagePayload, ...types: MessagePayload['type'][]): Chunk | undefined {
  return 'chunk' in p && types.includes(p.type) ? p.chunk : undefined;
}

function addEk(receivingEk: PolyDecoderState, chunk: Chunk): { dec: PolyDecoderState; ek: Uint8Array | null } {
  const dec = decoderAddChunk(receivingEk, chunk);
  return { dec, ek: decoderMessage(dec) };
}

function decapsulate(dk: Uint8Array, ct1: Uint8Array, ct2: Uint8Array): Uint8Array {
  try {
    return kem.decaps(dk, ct1, ct2);
  } catch {
    throw new SpqrError('StateDecode', 'stored decapsulation key is invalid');
  }
}

function checkEk(ek: Uint8Array, hdr: Uint8Array): void {
  if (!kem.ekMatchesHeader(ek, hdr)) throw new SpqrError('ErroneousDataReceived', 'encapsulation key does not match its header');
}

/** Applies a received message (of any epoch) to the state. */
export function braidRecv(s: V1State, msg: SpqrMessage): { state: V1State; secret?: EpochSecret } {
  const epoch = s.epoch;
  if (msg.epoch > epoch) {
    if (s.kind === 'ct2Sampled' && msg.epoch === epoch + 1n) {
      return { state: { kind: 'keysUnsampled', epoch: epoch + 1n, auth: s.auth } };
    }
    throw new SpqrError('EpochOutOfRange', `message epoch ${msg.epoch}, state epoch ${epoch}`);
  }
  if (msg.epoch < epoch) return { state: s };
  const p = msg.payload;
  switch (s.kind) {
    case 'keysUnsampled':
    case 'headerReceived':
    case 'ct2Sampled':
      return { state: s };
    case 'keysSampled': {
      const c = chunkOf(p, 'ct1');
      if (c === undefined) return { state: s };
      const receivingCt1 = decoderAddChunk(newDecoder(kem.CIPHERTEXT1_SIZE), c);
      return { state: { kind: 'headerSent', epoch, auth: s.auth, dk: s.dk, sendingEk: newEncoder(s.ek), receivingCt1 } };
    }
    case 'headerSent': {
      const c = chunkOf(p, 'ct1');
      if (c === undefined) return { state: s };
      const receivingCt1 = decoderAddChunk(s.receivingCt1, c);
      const ct1 = decoderMessage(receivingCt1);
      if (ct1 === null) return { state: { ...s, receivingCt1 } };
      return { state: { kind: 'ct1Received', epoch, auth: s.auth, dk: s.dk, ct1, sendingEk: s.sendingEk } };
    }
    case 'ct1Received': {
      const c = chunkOf(p, 'ct2');
      if (c === undefined) return { state: s };
      const receivingCt2 = decoderAddChunk(newDecoder(CT2_MSG), c);
      return { state: { kind: 'ekSentCt1Received', epoch, auth: s.auth, dk: s.dk, ct1: s.ct1, receivingCt2 } };
    }
    case 'ekSentCt1Received': {
      const c = chunkOf(p, 'ct2');
      if (c === undefined) return { state: s };
      const receivingCt2 = decoderAddChunk(s.receivingCt2, c);
      const full = decoderMessage(receivingCt2);
      if (full === null) return { state: { ...s, receivingCt2 } };
      const ct2 = full.slice(0, kem.CIPHERTEXT2_SIZE);
      const secret = sckaKey(decapsulate(s.dk, s.ct1, ct2), epoch);
      const auth = authenticatorUpdate(s.auth, epoch, secret);
      verifyCiphertext(auth, epoch, concat(s.ct1, ct2), full.slice(kem.CIPHERTEXT2_SIZE));
      return { state: { kind: 'noHeaderReceived', epoch: epoch + 1n, auth, receivingHdr: newDecoder(HDR_MSG) }, secret: { epoch, secret } };
    }
    case 'noHeaderReceived': {
      const c = chunkOf(p, 'hdr');
      if (c === undefined) return { state: s };
      const receivingHdr = decoderAddChunk(s.receivingHdr, c);
      const full = decoderMessage(receivingHdr);
      if (full === null) return { state: { ...s, receivingHdr } };
      const hdr = full.slice(0, kem.HEADER_SIZE);
      verifyHeader(s.auth, epoch, hdr, full.slice(kem.HEADER_SIZE));
      return { state: { kind: 'headerReceived', epoch, auth: s.auth, hdr, receivingEk: newDecoder(kem.ENCAPSULATION_KEY_SIZE) } };
    }
    case 'ct1Sampled': {
      const c = chunkOf(p, 'ek', 'ekCt1Ack');
      if (c === undefined) return { state: s };
      const ack = p.type === 'ekCt1Ack';
      const { dec, ek } = addEk(s.receivingEk, c);
      if (ek !== null) {
        checkEk(ek, s.hdr);
        if (ack) return { state: ct2Sampled(epoch, s.auth, ek, s.es, s.ct1) };
        return { state: { kind: 'ekReceivedCt1Sampled', epoch, auth: s.auth, es: s.es, ek, ct1: s.ct1, sendingCt1: s.sendingCt1 } };
      }
      if (ack) return { state: { kind: 'ct1Acknowledged', epoch, auth: s.auth, hdr: s.hdr, es: s.es, ct1: s.ct1, receivingEk: dec } };
      return { state: { ...s, receivingEk: dec } };
    }
    case 'ekReceivedCt1Sampled':
      if (p.type === 'ct1Ack' || p.type === 'ekCt1Ack') return { state: ct2Sampled(epoch, s.auth, s.ek, s.es, s.ct1) };
      return { state: s };
    case 'ct1Acknowledged': {
      const c = chunkOf(p, 'ek', 'ekCt1Ack');
      if (c === undefined) return { state: s };
      const { dec, ek } = addEk(s.receivingEk, c);
      if (ek === null) return { state: { ...s, receivingEk: dec } };
      checkEk(ek, s.hdr);
      return { state: ct2Sampled(epoch, s.auth, ek, s.es, s.ct1) };
    }
  }
}
