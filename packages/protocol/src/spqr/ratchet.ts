/**
 * The SPQR API libsignal's triple ratchet calls: initialState, send, recv.
 * States and messages are bytes (the record's PqRatchetState and
 * SignalMessage field 5). Version negotiation: an empty message or state is
 * V0; a V1 state with pending negotiation may be downgraded by a V0 message
 * unless its min_version forbids it. recv never changes its input, so a
 * caller can commit the returned state only after the outer MAC verifies.
 */
import { checkBytes } from '../primitives/index.ts';
import { braidRecv, braidSend, initialBraidState } from './braid.ts';
import { chainAddEpoch, chainParamsForStorage, chainRecvKey, chainSendKey, DEFAULT_MAX_JUMP, DEFAULT_MAX_OOO_KEYS, DIRECTION_A2B, newChain, type ChainState } from './chain.ts';
import type { RandomBytes } from './crypto.ts';
import { SpqrError } from './errors.ts';
import { deserializeMessage, serializeMessage } from './message.ts';
import type { PqRatchetState, VersionNegotiation } from './state.ts';
import { VERSION_V0, VERSION_V1 } from './state.ts';
import { decodePqRatchetState, encodePqRatchetState } from './state-codec.ts';

export interface SpqrParams {
  direction: number; // DIRECTION_A2B (initiator) or DIRECTION_B2A
  version: number;
  minVersion: number;
  authKey: Uint8Array;
  maxJump?: number;
  maxOooKeys?: number;
}

export function initialState(p: SpqrParams): Uint8Array {
  checkBytes('auth key', p.authKey);
  if (p.version === VERSION_V0) return new Uint8Array(0);
  if (p.version !== VERSION_V1) throw new SpqrError('InvalidParams', `unknown version ${p.version}`);
  const state: PqRatchetState = {
    versionNegotiation: {
      authKey: Uint8Array.from(p.authKey),
      direction: p.direction,
      minVersion: p.minVersion,
      chainParams: chainParamsForStorage(p.maxJump ?? DEFAULT_MAX_JUMP, p.maxOooKeys ?? DEFAULT_MAX_OOO_KEYS),
    },
    v1: initialBraidState(p.authKey, p.direction === DIRECTION_A2B),
  };
  return encodePqRatchetState(state);
}

function chainFromNegotiation(vn: VersionNegotiation): ChainState {
  if (vn.chainParams === undefined) throw new SpqrError('ChainNotAvailable', 'negotiation without chain params');
  if (vn.direction > 1) throw new SpqrError('StateDecode', 'bad direction');
  return newChain(vn.authKey, vn.direction, vn.chainParams);
}

function chainOf(s: PqRatchetState): ChainState {
  if (s.chain !== undefined) return s.chain;
  if (s.versionNegotiation === undefined) throw new SpqrError('ChainNotAvailable', 'no chain');
  return chainFromNegotiation(s.versionNegotiation);
}

export interface SpqrSend<S = Uint8Array> {
  state: S;
  msg: Uint8Array;
  key: Uint8Array | null;
}

export interface SpqrRecv<S = Uint8Array> {
  state: S;
  key: Uint8Array | null;
}

/** send() on a decoded state (for callers that keep states decoded between messages). */
export function sendState(s: PqRatchetState, randomBytes: RandomBytes): SpqrSend<PqRatchetState> {
  if (s.v1 === undefined) return { state: {}, msg: new Uint8Array(0), key: null };
  const b = braidSend(s.v1, randomBytes);
  let chain: ChainState | undefined;
  if (s.chain !== undefined) chain = s.chain;
  else if (s.versionNegotiation === undefined) throw new SpqrError('ChainNotAvailable', 'no chain');
  else if (s.versionNegotiation.minVersion > VERSION_V0) chain = chainFromNegotiation(s.versionNegotiation);
  let index = 0;
  let key: Uint8Array | null = null;
  if (chain !== undefined) {
    if (b.secret !== undefined) chain = chainAddEpoch(chain, b.secret.epoch, b.secret.secret);
    const k = chainSendKey(chain, b.msg.epoch - 1n);
    chain = k.chain;
    index = k.index;
    key = k.key;
  }
  const next: PqRatchetState = { v1: b.state };
  if (s.versionNegotiation !== undefined) next.versionNegotiation = s.versionNegotiation;
  if (chain !== undefined) next.chain = chain;
  return { state: next, msg: serializeMessage(b.msg, index), key };
}

function msgVersion(msg: Uint8Array): number | null {
  if (msg.length === 0) return VERSION_V0;
  return msg[0] === 0 || msg[0] === 1 ? msg[0] : null;
}

/** recv() on a decoded state; the input state object is never modified. */
export function recvState(s: PqRatchetState, msg: Uint8Array): SpqrRecv<PqRatchetState> {
  checkBytes('SPQR message', msg);
  const v = msgVersion(msg);
  if (v === null) return { state: s, key: null }; // a future version: ignored
  const stateVersion = s.v1 === undefined ? VERSION_V0 : VERSION_V1;
  if (v < stateVersion) {
    const vn = s.versionNegotiation;
    if (vn === undefined) throw new SpqrError('VersionMismatch', 'message version below the negotiated one');
    if (v < vn.minVersion) throw new SpqrError('MinimumVersion', 'peer does not speak the required SPQR version');
    chainOf(s); // as libsignal: the downgrade needs a usable chain or negotiation block
    return { state: {}, key: null }; // downgraded to V0: SPQR off
  }
  if (s.v1 === undefined) return { state: {}, key: null };
  const { msg: m, index } = deserializeMessage(msg);
  const b = braidRecv(s.v1, m);
  let chain = chainOf(s);
  if (b.secret !== undefined) chain = chainAddEpoch(chain, b.secret.epoch, b.secret.secret);
  const keyEpoch = m.epoch - 1n;
  let key: Uint8Array | null = null;
  if (!(keyEpoch === 0n && index === 0)) {
    const k = chainRecvKey(chain, keyEpoch, index);
    chain = k.chain;
    key = k.key;
  }
  return { state: { chain, v1: b.state }, key };
}

/** One SPQR send: the next message (SignalMessage field 5), its key (the message-key salt) and the new state. */
export function send(stateBytes: Uint8Array, randomBytes: RandomBytes): SpqrSend {
  checkBytes('SPQR state', stateBytes);
  const r = sendState(decodePqRatchetState(stateBytes), randomBytes);
  return { state: encodePqRatchetState(r.state), msg: r.msg, key: r.key };
}

/** One SPQR receive: the key for `msg` and the candidate state (commit it only after the outer MAC verifies). */
export function recv(stateBytes: Uint8Array, msg: Uint8Array): SpqrRecv {
  checkBytes('SPQR state', stateBytes);
  checkBytes('SPQR message', msg);
  if (msgVersion(msg) === null) return { state: Uint8Array.from(stateBytes), key: null };
  const r = recvState(decodePqRatchetState(stateBytes), msg);
  return { state: encodePqRatchetState(r.state), key: r.key };
}

export type CurrentVersion = { negotiating: true; version: number; minVersion: number } | { negotiating: false; version: number };

export function currentVersion(stateBytes: Uint8Array): CurrentVersion {
  const s = decodePqRatchetState(stateBytes);
  const version = s.v1 === undefined ? VERSION_V0 : VERSION_V1;
  if (s.versionNegotiation === undefined) return { negotiating: false, version };
  return { negotiating: true, version, minVersion: s.versionNegotiation.minVersion };
}
