/**
 * A cheap look into archived SessionStructure bytes, without decoding them:
 * the session version, Alice's base key, whether there is a sending chain,
 * and each receiver chain's ratchet key and position. Length-delimited
 * fields (skipped message keys, the SPQR state) are stepped over by their
 * length, so a 400 KB state costs a few thousand reads instead of a full
 * decode. The decrypt flow uses it to price (and to refuse without
 * decoding) each candidate state; PreKey processing uses it to find the
 * state a repeated PreKeySignalMessage names. Protobuf semantics as prost:
 * the last occurrence of a scalar wins, repeated chain keys merge.
 */
import { WireFormatError, WireReader } from '../wire/strict-wire.ts';

/** What the peek reads from one state. */
export interface StatePeek {
  /** session_version, with libsignal's 0 -> 2. */
  readonly version: number;
  readonly aliceBaseKey: Uint8Array;
  readonly hasSenderChain: boolean;
  readonly receiverChains: readonly { readonly ratchetKey: Uint8Array; readonly index: number }[];
}

const EMPTY: Uint8Array = new Uint8Array(0);

function skip(r: WireReader, wireType: number): void {
  if (wireType === 0) r.varint();
  else if (wireType === 1) r.take(8);
  else if (wireType === 5) r.take(4);
  else if (wireType === 2) r.take(r.length());
  else throw new WireFormatError('group in a session state');
}

function chainKeyIndex(r: WireReader, end: number, index: number): number {
  const inner = new WireReader(r.buf, r.pos, end);
  while (inner.pos < inner.end) {
    const [field, wireType] = inner.tag();
    if (field === 1 && wireType === 0) index = inner.varint()[0];
    else skip(inner, wireType);
  }
  return index;
}

function peekChain(r: WireReader, end: number): { ratchetKey: Uint8Array; index: number } {
  const inner = new WireReader(r.buf, r.pos, end);
  let ratchetKey: Uint8Array = EMPTY;
  let index = 0;
  while (inner.pos < inner.end) {
    const [field, wireType] = inner.tag();
    if (field === 1 && wireType === 2) ratchetKey = inner.take(inner.length());
    else if (field === 3 && wireType === 2) {
      const length = inner.length();
      index = chainKeyIndex(inner, inner.pos + length, index);
      inner.take(length);
    } else skip(inner, wireType);
  }
  return { ratchetKey, index };
}

/** Peeks at SessionStructure bytes; undefined when they are not even well-formed protobuf. */
export function peekSessionState(bytes: Uint8Array): StatePeek | undefined {
  let version = 0;
  let aliceBaseKey: Uint8Array = EMPTY;
  let hasSenderChain = false;
  const receiverChains: { ratchetKey: Uint8Array; index: number }[] = [];
  try {
    const r = new WireReader(bytes, 0, bytes.length);
    while (r.pos < r.end) {
      const [field, wireType] = r.tag();
      if (field === 1 && wireType === 0) version = r.varint()[0];
      else if (field === 6 && wireType === 2) {
        hasSenderChain = true;
        r.take(r.length());
      } else if (field === 7 && wireType === 2) {
        const length = r.length();
        receiverChains.push(peekChain(r, r.pos + length));
        r.take(length);
      } else if (field === 13 && wireType === 2) aliceBaseKey = r.take(r.length());
      else skip(r, wireType);
    }
  } catch (e) {
    if (e instanceof WireFormatError) return undefined;
    throw e;
  }
  return { version: version === 0 ? 2 : version, aliceBaseKey, hasSenderChain, receiverChains };
}
