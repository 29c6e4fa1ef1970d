/**
 * The implementations in the run, in column order: ours (with SPQR), ours
 * without SPQR, then the peers (libsignal-client 0.90 and 0.103,
 * libsignal-protocol-ts), then the two primitive floors.
 */
import type { Implementation } from './contract.ts';
import { libsignalClient, libsignalClient0103 } from './peer-libsignal-client.ts';
import { libsignalProtocolTs } from './peer-libsignal-protocol-ts.ts';
import { sealpost } from './ours.ts';
import { primitiveFloorHkdfSync, primitiveFloorHmacHkdf } from './primitive-floor.ts';

/** Column name of our implementation. */
export const OURS = 'sealpost';

/** Columns our ratios are computed against. */
export const PEERS = ['sealpost:no-spqr', 'libsignal-client', 'libsignal-client-0103', 'libsignal-protocol-ts', 'floor:hkdfSync', 'floor:hmac-hkdf'] as const;

export async function implementations(): Promise<Implementation[]> {
  return [sealpost(), sealpost(false), libsignalClient(), libsignalClient0103(), libsignalProtocolTs(), primitiveFloorHkdfSync(), primitiveFloorHmacHkdf()];
}
