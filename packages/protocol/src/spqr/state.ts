/**
 * In-memory shape of libsignal's `signal.proto.pq_ratchet.PqRatchetState`
 * (SessionStructure field 15). The V1 braid states are flattened: the
 * fields of the inner "unchunked" message sit beside the chunked state's
 * encoders and decoders. Record codec: ./state-codec.ts.
 */
import type { Authenticator } from './authenticator.ts';
import type { ChainParams, ChainState } from './chain.ts';
import type { PolyDecoderState, PolyEncoderState } from './polynomial.ts';

export const VERSION_V0 = 0;
export const VERSION_V1 = 1;

export interface VersionNegotiation {
  authKey: Uint8Array;
  direction: number;
  minVersion: number;
  chainParams?: ChainParams;
}

interface Base {
  epoch: bigint;
  auth: Authenticator;
}

export type V1State =
  // send_ek side
  | (Base & { kind: 'keysUnsampled' })
  | (Base & { kind: 'keysSampled'; ek: Uint8Array; dk: Uint8Array; sendingHdr: PolyEncoderState })
  | (Base & { kind: 'headerSent'; dk: Uint8Array; sendingEk: PolyEncoderState; receivingCt1: PolyDecoderState })
  | (Base & { kind: 'ct1Received'; dk: Uint8Array; ct1: Uint8Array; sendingEk: PolyEncoderState })
  | (Base & { kind: 'ekSentCt1Received'; dk: Uint8Array; ct1: Uint8Array; receivingCt2: PolyDecoderState })
  // send_ct side
  | (Base & { kind: 'noHeaderReceived'; receivingHdr: PolyDecoderState })
  | (Base & { kind: 'headerReceived'; hdr: Uint8Array; receivingEk: PolyDecoderState })
  | (Base & {
      kind: 'ct1Sampled';
      hdr: Uint8Array;
      es: Uint8Array;
      ct1: Uint8Array;
      sendingCt1: PolyEncoderState;
      receivingEk: PolyDecoderState;
    })
  | (Base & { kind: 'ekReceivedCt1Sampled'; es: Uint8Array; ek: Uint8Array; ct1: Uint8Array; sendingCt1: PolyEncoderState })
  | (Base & { kind: 'ct1Acknowledged'; hdr: Uint8Array; es: Uint8Array; ct1: Uint8Array; receivingEk: PolyDecoderState })
  | (Base & { kind: 'ct2Sampled'; sendingCt2: PolyEncoderState });

export type V1StateKind = V1State['kind'];

export interface PqRatchetState {
  versionNegotiation?: VersionNegotiation;
  chain?: ChainState;
  /** Absent = SPQR V0 (disabled). */
  v1?: V1State;
}
