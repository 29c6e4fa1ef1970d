/**
 * What a `KtLog` is built from (the app's `keyTransparency` option), and
 * the defaults of its timings.
 */
import type { KtWitness } from './witness-client.ts';

const MINUTE = 60_000;

/** What a KtLog is built from (the app's `keyTransparency` option). */
export interface KtLogSettings {
  /** 32-byte ECVRF secret key. */
  vrfSecretKey: Uint8Array;
  /** 32-byte Ed25519 seed of the checkpoint note key (type 0x01, key name = origin). */
  logNoteKey: Uint8Array;
  /** The checkpoint origin, `<host>/sealpost-kt/<16 hex>`. */
  origin: string;
  witnesses?: readonly KtWitness[];
  /** Cosignatures a checkpoint needs to count as witnessed (default: a majority of `witnesses`). */
  witnessQuorum?: number;
  /** Most time an update waits before it is sequenced (default 1000 ms). */
  batchMs?: number;
  /** Longest time between entries; an empty entry is written when nothing else was (default 10 min). */
  heartbeatMs?: number;
  /** How long `enqueue` / `settled` wait for sequencing and witnessing before resolving anyway (default 5000 ms). */
  settleTimeoutMs?: number;
  /** Timeout of one add-checkpoint request (default 5000 ms). */
  witnessTimeoutMs?: number;
  /** Least time between witness rounds that made no progress (default 2000 ms). */
  witnessRetryMs?: number;
  /** VRF proving threads (0: on the event loop, yielding between proofs; default 0). */
  vrfThreads?: number;
  /** Most pending updates in one entry (default 5000). */
  maxBatch?: number;
  /** What clients are told about the timestamp window (`GET /v1/kt/config`; defaults 5 min / 1 h). */
  maxAheadMs?: number;
  maxBehindMs?: number;
  /** PostgreSQL, several instances: how often an instance that does not sequence tries the sequencer lock, and the leader pings its lock connection (default 1000 ms). */
  leaderRetryMs?: number;
}

/** The timings and limits with their defaults filled in. */
export type KtTimings = Required<Omit<KtLogSettings, 'witnesses' | 'witnessQuorum' | 'vrfSecretKey' | 'logNoteKey' | 'origin' | 'leaderRetryMs'>>;

export function timingsOf(o: KtLogSettings): KtTimings {
  return {
    batchMs: o.batchMs ?? 1000,
    heartbeatMs: o.heartbeatMs ?? 10 * MINUTE,
    settleTimeoutMs: o.settleTimeoutMs ?? 5000,
    witnessTimeoutMs: o.witnessTimeoutMs ?? 5000,
    witnessRetryMs: o.witnessRetryMs ?? 2000,
    vrfThreads: o.vrfThreads ?? 0,
    maxBatch: o.maxBatch ?? 5000,
    maxAheadMs: o.maxAheadMs ?? 5 * MINUTE,
    maxBehindMs: o.maxBehindMs ?? 60 * MINUTE,
  };
}
