/**
 * The SPQR symmetric chain: per epoch one send and one receive KDF chain,
 * seeded from auth_key (epoch 0) and from each braid epoch secret. Keys are
 * numbered from 1. Out-of-order receive keys are kept in a history of
 * (u32be index ‖ 32-byte key) entries, bounded by max_ooo_keys.
 * The state has the shape of the Chain message in libsignal's record; every
 * operation returns a new state and leaves its input untouched.
 */
import { ascii, concat, hkdf, u32be, ZERO32 } from './crypto.ts';
import { SpqrError } from './errors.ts';
import { LABEL_CHAIN_ADD_EPOCH, LABEL_CHAIN_NEXT, LABEL_CHAIN_START } from './labels.ts';
import { SPQR_STEP_UNITS, chargeWork } from '../ratchet/work-meter.ts';

export const DIRECTION_A2B = 0;
export const DIRECTION_B2A = 1;
export const DEFAULT_MAX_JUMP = 25_000;
export const DEFAULT_MAX_OOO_KEYS = 2_000;
const EPOCHS_TO_KEEP_PRIOR_TO_SEND_EPOCH = 1;
const HISTORY_ENTRY = 36;

/** As stored: 0 means "the default". */
export interface ChainParams {
  maxJump: number;
  maxOooKeys: number;
}

export interface EpochDirection {
  ctr: number;
  next: Uint8Array;
  prev: Uint8Array;
}

export interface ChainLink {
  send?: EpochDirection;
  recv?: EpochDirection;
}

export interface ChainState {
  direction: number;
  currentEpoch: bigint;
  links: ChainLink[];
  nextRoot: Uint8Array;
  sendEpoch: bigint;
  params?: ChainParams;
}

/** Params as stored: a value equal to its default is written as 0. */
export function chainParamsForStorage(maxJump: number, maxOooKeys: number): ChainParams {
  return {
    maxJump: maxJump === DEFAULT_MAX_JUMP ? 0 : maxJump,
    maxOooKeys: maxOooKeys === DEFAULT_MAX_OOO_KEYS ? 0 : maxOooKeys,
  };
}

// Capped at the default for every session (issue 11 item 17): a stored larger limit (libsignal's
// u32::MAX for a session with oneself) would let one message walk the chain for hours.
const maxJumpOf = (p: ChainParams): number => Math.min(p.maxJump > 0 ? p.maxJump : DEFAULT_MAX_JUMP, DEFAULT_MAX_JUMP);
const maxOooOf = (p: ChainParams): number => (p.maxOooKeys > 0 ? p.maxOooKeys : DEFAULT_MAX_OOO_KEYS);
const trimSize = (p: ChainParams): number => Math.floor((maxOooOf(p) * 11) / 10) + 1;

function linkFrom(out96: Uint8Array, direction: number): ChainLink {
  const a2b = out96.slice(32, 64);
  const b2a = out96.slice(64, 96);
  const own = direction === DIRECTION_A2B ? a2b : b2a;
  const other = direction === DIRECTION_A2B ? b2a : a2b;
  return { send: { ctr: 0, next: own, prev: new Uint8Array(0) }, recv: { ctr: 0, next: other, prev: new Uint8Array(0) } };
}

export function newChain(authKey: Uint8Array, direction: number, params: ChainParams): ChainState {
  const out = hkdf(ZERO32, authKey, ascii(LABEL_CHAIN_START), 96);
  return {
    direction,
    currentEpoch: 0n,
    links: [linkFrom(out, direction)],
    nextRoot: out.slice(0, 32),
    sendEpoch: 0n,
    params: { ...params },
  };
}

/** Adds epoch `epoch` (must be current + 1) from its braid secret. */
export function chainAddEpoch(chain: ChainState, epoch: bigint, secret: Uint8Array): ChainState {
  if (epoch !== chain.currentEpoch + 1n) throw new SpqrError('EpochOutOfRange', `add_epoch ${epoch} after ${chain.currentEpoch}`);
  const out = hkdf(chain.nextRoot, secret, ascii(LABEL_CHAIN_ADD_EPOCH), 96);
  return { ...chain, currentEpoch: epoch, nextRoot: out.slice(0, 32), links: [...chain.links, linkFrom(out, chain.direction)] };
}

const CHAIN_NEXT_LABEL = ascii(LABEL_CHAIN_NEXT);

/** One step of a KDF chain: ctr+1 and (next', key). */
function step(next: Uint8Array, ctr: number): { ctr: number; next: Uint8Array; key: Uint8Array } {
  if (next.length !== 32) throw new SpqrError('StateDecode', 'chain key not available');
  const c = (ctr + 1) >>> 0;
  const info = new Uint8Array(4 + CHAIN_NEXT_LABEL.length); // u32be(c) ‖ label
  info[0] = c >>> 24;
  info[1] = (c >>> 16) & 0xff;
  info[2] = (c >>> 8) & 0xff;
  info[3] = c & 0xff;
  info.set(CHAIN_NEXT_LABEL, 4);
  const out = hkdf(ZERO32, next, info, 64);
  return { ctr: c, next: out.slice(0, 32), key: out.slice(32, 64) };
}

function epochIndex(chain: ChainState, epoch: bigint): number {
  if (epoch > chain.currentEpoch) throw new SpqrError('EpochOutOfRange', `epoch ${epoch}`);
  const back = chain.currentEpoch - epoch;
  if (back >= BigInt(chain.links.length)) throw new SpqrError('EpochOutOfRange', `epoch ${epoch}`);
  return chain.links.length - 1 - Number(back);
}

function requireDir(d: EpochDirection | undefined): EpochDirection {
  if (d === undefined) throw new SpqrError('StateDecode', 'chain link without direction');
  return d;
}

// The per-message updates below build their objects field by field rather
// than spread (a spread copies through V8's generic object-clone path).
function withDirections(send: EpochDirection | undefined, recv: EpochDirection | undefined): ChainLink {
  const link: ChainLink = {};
  if (send !== undefined) link.send = send;
  if (recv !== undefined) link.recv = recv;
  return link;
}

function withLinks(chain: ChainState, links: ChainLink[], sendEpoch: bigint): ChainState {
  const next: ChainState = { direction: chain.direction, currentEpoch: chain.currentEpoch, links, nextRoot: chain.nextRoot, sendEpoch };
  if (chain.params !== undefined) next.params = chain.params;
  return next;
}

/** The next sending key of epoch `epoch`; moving to a newer epoch drops old links. */
export function chainSendKey(chain: ChainState, epoch: bigint): { chain: ChainState; index: number; key: Uint8Array } {
  if (epoch < chain.sendEpoch) throw new SpqrError('SendKeyEpochDecreased', `${chain.sendEpoch} -> ${epoch}`);
  let idx = epochIndex(chain, epoch);
  let links = chain.links.slice();
  let sendEpoch = chain.sendEpoch;
  if (sendEpoch !== epoch) {
    sendEpoch = epoch;
    while (idx > EPOCHS_TO_KEEP_PRIOR_TO_SEND_EPOCH) {
      links.shift();
      idx--;
    }
    links = links.map((l, i) => (i < idx ? { ...l, send: { ...requireDir(l.send), next: new Uint8Array(0) } } : l));
  }
  const link = links[idx]!;
  const send = requireDir(link.send);
  const s = step(send.next, send.ctr);
  links[idx] = withDirections({ ctr: s.ctr, next: s.next, prev: send.prev }, link.recv);
  return { chain: withLinks(chain, links, sendEpoch), index: s.ctr, key: s.key };
}

function historyRemove(data: Uint8Array, at: number): Uint8Array {
  if (at + HISTORY_ENTRY < data.length) {
    const out = data.slice(0, data.length - HISTORY_ENTRY);
    out.set(data.subarray(data.length - HISTORY_ENTRY), at);
    return out;
  }
  return data.slice(0, at);
}

const entryIndex = (data: Uint8Array, at: number): number =>
  ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;

function historyGc(data: Uint8Array, current: number, p: ChainParams): Uint8Array {
  if (data.length < trimSize(p) * HISTORY_ENTRY) return data;
  const horizon = current - maxOooOf(p);
  let out = data;
  let i = 0;
  while (i < out.length) {
    if (horizon > entryIndex(out, i)) out = historyRemove(out, i);
    else i += HISTORY_ENTRY;
  }
  return out;
}

/**
 * `step(next, ctr).next` without the key half, `steps` times: HKDF-Expand's
 * first block is the same whatever the output length, so a 32-byte output
 * is exactly the next chain key. One info buffer serves the whole walk.
 */
function skipChainKeys(next: Uint8Array, ctr: number, steps: number): Uint8Array {
  if (next.length !== 32) throw new SpqrError('StateDecode', 'chain key not available');
  const info = new Uint8Array(4 + CHAIN_NEXT_LABEL.length);
  info.set(CHAIN_NEXT_LABEL, 4);
  let key = next;
  for (let c = ctr; c < ctr + steps; c++) {
    const n = (c + 1) >>> 0;
    info[0] = n >>> 24;
    info[1] = (n >>> 16) & 0xff;
    info[2] = (n >>> 8) & 0xff;
    info[3] = n & 0xff;
    key = hkdf(ZERO32, key, info, 32);
  }
  return key;
}

function directionKey(d: EpochDirection, at: number, p: ChainParams): { dir: EpochDirection; key: Uint8Array } {
  if (at < d.ctr) {
    if (at + maxOooOf(p) < d.ctr) throw new SpqrError('KeyTrimmed', `key ${at}`);
    for (let i = 0; i + HISTORY_ENTRY <= d.prev.length; i += HISTORY_ENTRY) {
      if (entryIndex(d.prev, i) === at) {
        return { dir: { ...d, prev: historyRemove(d.prev, i) }, key: d.prev.slice(i + 4, i + HISTORY_ENTRY) };
      }
    }
    throw new SpqrError('KeyAlreadyRequested', `key ${at}`);
  }
  if (at === d.ctr) throw new SpqrError('KeyAlreadyRequested', `key ${at}`);
  if (at - d.ctr > maxJumpOf(p)) throw new SpqrError('KeyJump', `${d.ctr} -> ${at}`);
  chargeWork((at - d.ctr) * SPQR_STEP_UNITS, 'SPQR chain walk'); // issue 11 item 17: paid before walking
  let prev = at > d.ctr + maxOooOf(p) ? new Uint8Array(0) : d.prev;
  let next = d.next;
  let ctr = d.ctr;
  const kept: Uint8Array[] = [];
  // Keys that will not be kept: only the next chain key (issue 11 item 17: 2 HMACs instead of 3).
  const skipped = Math.max(0, at - 1 - maxOooOf(p) - ctr);
  if (skipped > 0) {
    next = skipChainKeys(next, ctr, skipped);
    ctr = (ctr + skipped) >>> 0;
  }
  while (at > ctr + 1) {
    const s = step(next, ctr);
    next = s.next;
    ctr = s.ctr;
    kept.push(u32be(ctr), s.key);
  }
  if (kept.length > 0) prev = concat(prev, ...kept);
  prev = historyGc(prev, ctr, p);
  const s = step(next, ctr);
  return { dir: { ctr: s.ctr, next: s.next, prev }, key: s.key };
}

/** The receiving key number `index` of epoch `epoch`. */
export function chainRecvKey(chain: ChainState, epoch: bigint, index: number): { chain: ChainState; key: Uint8Array } {
  const idx = epochIndex(chain, epoch);
  if (chain.params === undefined) throw new SpqrError('StateDecode', 'chain without params');
  const r = directionKey(requireDir(chain.links[idx]!.recv), index, chain.params);
  const links = chain.links.slice();
  links[idx] = withDirections(links[idx]!.send, r.dir);
  return { chain: withLinks(chain, links, chain.sendEpoch), key: r.key };
}
