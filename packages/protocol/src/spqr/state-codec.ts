/**
 * Byte-exact codec for PqRatchetState (libsignal's SPQR record, prost
 * encoding). An empty byte string is the V0 (disabled) state. Decoding
 * checks what libsignal's SPQR checks when it loads a state (field lengths,
 * decoder sizes, encoder shapes) and throws SpqrError('StateDecode').
 */
import type { Authenticator } from './authenticator.ts';
import type { ChainLink, ChainParams, ChainState, EpochDirection } from './chain.ts';
import { SpqrError } from './errors.ts';
import type { PolyDecoderState, PolyEncoderState } from './polynomial.ts';
import { bytesFieldSize, delimitedFieldSize, ProtoReader, ProtoWriter, u32FieldSize, u64FieldSize } from './protobuf.ts';
import type { PqRatchetState, V1State, V1StateKind, VersionNegotiation } from './state.ts';

type BytesField = 'ek' | 'dk' | 'ct1' | 'hdr' | 'es';
type CodedField = 'sendingHdr' | 'sendingEk' | 'receivingCt1' | 'receivingCt2' | 'receivingHdr' | 'receivingEk' | 'sendingCt1' | 'sendingCt2';

interface Layout {
  tag: number;
  uc: [BytesField, number][];
  coded: [CodedField, number, 'enc' | 'dec'][];
}

const LENGTHS: Record<BytesField, number> = { hdr: 64, ek: 1152, dk: 2400, es: 2080, ct1: 960 };
const DECODER_POINTS: Partial<Record<CodedField, number>> = {
  receivingHdr: 48,
  receivingEk: 576,
  receivingCt1: 480,
  receivingCt2: 80,
};

const LAYOUTS: Record<V1StateKind, Layout> = {
  keysUnsampled: { tag: 1, uc: [], coded: [] },
  keysSampled: { tag: 2, uc: [['ek', 3], ['dk', 4]], coded: [['sendingHdr', 2, 'enc']] },
  headerSent: { tag: 3, uc: [['dk', 3]], coded: [['sendingEk', 2, 'enc'], ['receivingCt1', 3, 'dec']] },
  ct1Received: { tag: 4, uc: [['dk', 3], ['ct1', 4]], coded: [['sendingEk', 2, 'enc']] },
  ekSentCt1Received: { tag: 5, uc: [['dk', 3], ['ct1', 4]], coded: [['receivingCt2', 3, 'dec']] },
  noHeaderReceived: { tag: 6, uc: [], coded: [['receivingHdr', 2, 'dec']] },
  headerReceived: { tag: 7, uc: [['hdr', 3]], coded: [['receivingEk', 2, 'dec']] },
  ct1Sampled: { tag: 8, uc: [['hdr', 3], ['es', 4], ['ct1', 5]], coded: [['sendingCt1', 2, 'enc'], ['receivingEk', 3, 'dec']] },
  ekReceivedCt1Sampled: { tag: 9, uc: [['es', 3], ['ek', 4], ['ct1', 5]], coded: [['sendingCt1', 2, 'enc']] },
  ct1Acknowledged: { tag: 10, uc: [['hdr', 3], ['es', 4], ['ct1', 5]], coded: [['receivingEk', 2, 'dec']] },
  ct2Sampled: { tag: 11, uc: [], coded: [['sendingCt2', 2, 'enc']] },
};
const KIND_BY_TAG = new Map<number, V1StateKind>(Object.entries(LAYOUTS).map(([k, l]) => [l.tag, k as V1StateKind]));

/**
 * Encodings of the state parts that rarely change, by the identity of the
 * (immutable) objects they were encoded from: send/recv build a new state
 * from the old one and keep the parts that did not change, so re-encoding
 * the ~4–6 KB state each message copies those parts' bytes instead of
 * re-encoding them; the parts that change on every message (chain, decoder
 * points, encoder index) are written in place. WeakMaps: an entry lives only
 * as long as the state object it belongs to, so this holds nothing a
 * session has dropped.
 */
/** The unchunked V1 fields (epoch, auth, big byte fields), keyed by auth and checked field by field. */
interface UcEntry {
  kind: V1StateKind;
  epoch: bigint;
  refs: Uint8Array[];
  bytes: Uint8Array;
}
let encodedUc = new WeakMap<Authenticator, UcEntry>();

/** Drops the encoding caches (they only ever hold bytes of states still referenced elsewhere). */
export function clearStateEncodingCaches(): void {
  encodedUc = new WeakMap();
  encodedEncoderPoints = new WeakMap();
}

const fail = (why: string): never => {
  throw new SpqrError('StateDecode', why);
};

// ---- small messages ----
function encParams(p: ChainParams): Uint8Array {
  return new ProtoWriter().scalar(1, p.maxJump).scalar(2, p.maxOooKeys).finish();
}
function decParams(b: Uint8Array): ChainParams {
  const r = new ProtoReader(b);
  return { maxJump: r.u32(1), maxOooKeys: r.u32(2) };
}
function encAuth(a: Authenticator): Uint8Array {
  return new ProtoWriter().bytes(1, a.rootKey).bytes(2, a.macKey).finish();
}
function decAuth(b: Uint8Array | undefined): Authenticator {
  if (b === undefined) return fail('missing authenticator');
  const r = new ProtoReader(b);
  return { rootKey: r.bytes(1), macKey: r.bytes(2) };
}
function encEncoderPoints(e: PolyEncoderState): Uint8Array {
  const w = new ProtoWriter(1024);
  for (const p of e.pts) w.bytesAlways(2, p);
  for (const p of e.polys) w.bytesAlways(3, p);
  return w.finish();
}
/** The repeated fields keyed by the `pts` array (kept as is when only `idx` moves) and checked against `polys`. */
let encodedEncoderPoints = new WeakMap<Uint8Array[], { polys: Uint8Array[]; bytes: Uint8Array }>();
function encoderPoints(e: PolyEncoderState): Uint8Array {
  let hit = encodedEncoderPoints.get(e.pts);
  if (hit === undefined || hit.polys !== e.polys) {
    hit = { polys: e.polys, bytes: encEncoderPoints(e) };
    encodedEncoderPoints.set(e.pts, hit);
  }
  return hit.bytes;
}
function decEncoder(b: Uint8Array | undefined): PolyEncoderState {
  if (b === undefined) return fail('missing encoder');
  const r = new ProtoReader(b);
  const pts = r.repeatedBytes(2);
  const polys = r.repeatedBytes(3);
  if (pts.length > 0) {
    if (polys.length > 0 || pts.length !== 16 || pts.some((p) => p.length % 2 !== 0)) fail('bad encoder points');
  } else if (polys.length !== 16 || polys.some((p) => p.length === 0 || p.length % 2 !== 0)) fail('bad encoder polynomials');
  return { idx: r.u32(1), pts, polys };
}
/** A decoder's encoded size; it changes with every chunk received, so it is written in place, not cached. */
function decoderSize(d: PolyDecoderState): number {
  let size = u32FieldSize(1, d.ptsNeeded) + u32FieldSize(2, d.polys) + (d.isComplete ? 2 : 0);
  for (const p of d.pts) size += delimitedFieldSize(3, p.length);
  return size;
}
function writeDecoder(w: ProtoWriter, d: PolyDecoderState): void {
  w.scalar(1, d.ptsNeeded).scalar(2, d.polys);
  for (const p of d.pts) w.bytesAlways(3, p);
  w.scalar(4, d.isComplete);
}
function decDecoder(b: Uint8Array | undefined, expectPoints: number | undefined): PolyDecoderState {
  if (b === undefined) return fail('missing decoder');
  const r = new ProtoReader(b);
  const d = { ptsNeeded: r.u32(1), polys: r.u32(2), pts: r.repeatedBytes(3), isComplete: r.bool(4) };
  if (expectPoints !== undefined && d.ptsNeeded !== expectPoints) fail('decoder of the wrong size');
  if (d.pts.length !== 16 || d.pts.some((p) => p.length % 4 !== 0)) fail('bad decoder points');
  return d;
}

// ---- chain ----
/**
 * The Chain message is written straight into the state's one buffer: its
 * size is computed first (each direction's once), then its fields are
 * written in place, so a message's chain update costs no intermediate
 * buffers (it changes on every message; the V1 parts below mostly do not).
 */
interface ChainPlan {
  size: number;
  write(w: ProtoWriter): void;
}
function directionSize(d: EpochDirection): number {
  return u32FieldSize(1, d.ctr) + bytesFieldSize(2, d.next.length) + bytesFieldSize(3, d.prev.length);
}
function writeDirection(w: ProtoWriter, field: number, d: EpochDirection, size: number): void {
  w.delimitedHeader(field, size).scalar(1, d.ctr).bytes(2, d.next).bytes(3, d.prev);
}
const paramsSize = (p: ChainParams): number => u32FieldSize(1, p.maxJump) + u32FieldSize(2, p.maxOooKeys);
function planChain(c: ChainState): ChainPlan {
  const n = c.links.length;
  const sendSizes = new Array<number>(n);
  const recvSizes = new Array<number>(n);
  const linkSizes = new Array<number>(n);
  let size = u32FieldSize(1, c.direction) + u64FieldSize(2, c.currentEpoch);
  for (let i = 0; i < n; i++) {
    const l = c.links[i]!;
    let linkSize = 0;
    if (l.send !== undefined) linkSize += delimitedFieldSize(1, (sendSizes[i] = directionSize(l.send)));
    if (l.recv !== undefined) linkSize += delimitedFieldSize(2, (recvSizes[i] = directionSize(l.recv)));
    linkSizes[i] = linkSize;
    size += delimitedFieldSize(3, linkSize);
  }
  size += bytesFieldSize(4, c.nextRoot.length) + u64FieldSize(5, c.sendEpoch);
  const params = c.params;
  if (params !== undefined) size += delimitedFieldSize(6, paramsSize(params));
  return {
    size,
    write(w: ProtoWriter): void {
      w.scalar(1, c.direction).scalar(2, c.currentEpoch);
      for (let i = 0; i < n; i++) {
        const l = c.links[i]!;
        w.delimitedHeader(3, linkSizes[i]!);
        if (l.send !== undefined) writeDirection(w, 1, l.send, sendSizes[i]!);
        if (l.recv !== undefined) writeDirection(w, 2, l.recv, recvSizes[i]!);
      }
      w.bytes(4, c.nextRoot).scalar(5, c.sendEpoch);
      if (params !== undefined) w.delimitedHeader(6, paramsSize(params)).scalar(1, params.maxJump).scalar(2, params.maxOooKeys);
    },
  };
}
function decDirection(b: Uint8Array | undefined): EpochDirection {
  if (b === undefined) return fail('chain link without direction');
  const r = new ProtoReader(b);
  const d = { ctr: r.u32(1), next: r.bytes(2), prev: r.bytes(3) };
  if (d.next.length !== 0 && d.next.length !== 32) fail('bad chain key length');
  if (d.prev.length % 36 !== 0) fail('bad key history length');
  return d;
}
function decChain(b: Uint8Array): ChainState {
  const r = new ProtoReader(b);
  const links: ChainLink[] = r.repeatedBytes(3).map((lb) => {
    const lr = new ProtoReader(lb);
    return { send: decDirection(lr.message(1)), recv: decDirection(lr.message(2)) };
  });
  const direction = r.u32(1);
  if (direction > 1) fail('bad chain direction');
  const params = r.message(6);
  if (params === undefined) fail('chain without params');
  return { direction, currentEpoch: r.u64(2), links, nextRoot: r.bytes(4), sendEpoch: r.u64(5), params: decParams(params!) };
}

// ---- V1 state ----
/**
 * A V1 state as the pieces of its encoding: the unchunked message and the
 * encoders/decoders are encoded (or taken from the caches above), and
 * `write` puts the whole V1State message, sized up front, into the caller's
 * writer, so the ~6 KB of state bytes are copied once, into the record.
 */
interface V1Plan {
  /** The encoded size of the V1State message. */
  size: number;
  write(w: ProtoWriter): void;
}
function planV1(s: V1State): V1Plan {
  const layout = LAYOUTS[s.kind];
  const fields = s as unknown as Record<string, unknown>;
  const refs = layout.uc.map(([name]) => fields[name] as Uint8Array);
  let ucHit = encodedUc.get(s.auth);
  if (ucHit === undefined || ucHit.kind !== s.kind || ucHit.epoch !== s.epoch || ucHit.refs.some((r, i) => r !== refs[i])) {
    const uc = new ProtoWriter(8192).scalar(1, s.epoch).message(2, encAuth(s.auth));
    layout.uc.forEach(([, no], i) => uc.bytes(no, refs[i]!));
    ucHit = { kind: s.kind, epoch: s.epoch, refs, bytes: uc.finish() };
    encodedUc.set(s.auth, ucHit);
  }
  const uc = ucHit.bytes;
  // Per coded field: an encoder as (idx, cached repeated fields), a decoder as its cached bytes.
  const coded = layout.coded.map(([name, no, how]) => {
    const v = fields[name];
    if (how === 'dec') {
      const decoder = v as PolyDecoderState;
      return { no, idx: 0, bytes: undefined, decoder, size: decoderSize(decoder) };
    }
    const e = v as PolyEncoderState;
    const bytes = encoderPoints(e);
    return { no, idx: e.idx, bytes, decoder: undefined, size: u32FieldSize(1, e.idx) + bytes.length };
  });
  let chunkedSize = delimitedFieldSize(1, uc.length);
  for (const c of coded) chunkedSize += delimitedFieldSize(c.no, c.size);
  return {
    size: delimitedFieldSize(layout.tag, chunkedSize),
    write(w: ProtoWriter): void {
      w.delimitedHeader(layout.tag, chunkedSize).message(1, uc);
      for (const c of coded) {
        w.delimitedHeader(c.no, c.size);
        if (c.decoder !== undefined) writeDecoder(w, c.decoder);
        else w.scalar(1, c.idx).raw(c.bytes!);
      }
    },
  };
}
function decV1(b: Uint8Array): V1State {
  const r = new ProtoReader(b);
  let tag = 0;
  for (let t = 1; t <= 11; t++) if (r.has(t)) tag = t;
  const kind = KIND_BY_TAG.get(tag);
  if (kind === undefined) return fail('V1 state without inner state');
  const layout = LAYOUTS[kind];
  const chunked = new ProtoReader(r.bytes(tag));
  const ucBytes = chunked.message(1);
  if (ucBytes === undefined) return fail('missing unchunked state');
  const uc = new ProtoReader(ucBytes);
  const out: Record<string, unknown> = { kind, epoch: uc.u64(1), auth: decAuth(uc.message(2)) };
  for (const [name, no] of layout.uc) {
    const v = uc.bytes(no);
    if (v.length !== LENGTHS[name]) fail(`${name} has length ${v.length}`);
    out[name] = v;
  }
  for (const [name, no, how] of layout.coded) {
    out[name] = how === 'enc' ? decEncoder(chunked.message(no)) : decDecoder(chunked.message(no), DECODER_POINTS[name]);
  }
  return out as unknown as V1State;
}

// ---- top level ----
export function encodePqRatchetState(s: PqRatchetState): Uint8Array {
  if (s.versionNegotiation === undefined && s.chain === undefined && s.v1 === undefined) return new Uint8Array(0);
  const vn = s.versionNegotiation;
  const vnBytes =
    vn &&
    new ProtoWriter()
      .bytes(1, vn.authKey)
      .scalar(2, vn.direction)
      .scalar(3, vn.minVersion)
      .message(4, vn.chainParams && encParams(vn.chainParams))
      .finish();
  const chain = s.chain && planChain(s.chain);
  const v1 = s.v1 && planV1(s.v1);
  const size = delimitedFieldSize(1, vnBytes?.length) + delimitedFieldSize(2, chain?.size) + delimitedFieldSize(3, v1?.size);
  const w = new ProtoWriter(size).message(1, vnBytes);
  if (chain !== undefined) {
    w.delimitedHeader(2, chain.size);
    chain.write(w);
  }
  if (v1 !== undefined) {
    w.delimitedHeader(3, v1.size);
    v1.write(w);
  }
  return w.finish();
}

export function decodePqRatchetState(bytes: Uint8Array): PqRatchetState {
  if (bytes.length === 0) return {};
  const r = new ProtoReader(bytes);
  const out: PqRatchetState = {};
  const vnBytes = r.message(1);
  if (vnBytes !== undefined) {
    const vr = new ProtoReader(vnBytes);
    const params = vr.message(4);
    const vn: VersionNegotiation = { authKey: vr.bytes(1), direction: vr.u32(2), minVersion: vr.u32(3) };
    if (params !== undefined) vn.chainParams = decParams(params);
    out.versionNegotiation = vn;
  }
  const chain = r.message(2);
  if (chain !== undefined) out.chain = decChain(chain);
  const v1 = r.message(3);
  if (v1 !== undefined) out.v1 = decV1(v1);
  return out;
}
