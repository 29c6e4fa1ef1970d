/** @sealpost/witness: a C2SP tlog-witness over @sealpost/keytrans. See the README. */
export { buildWitnessServer, type WitnessServer, type WitnessServerOptions } from './app.ts';
export { WITNESS_CONFIG_SPEC, loadConfig, witnessUsage, type WitnessStartConfig } from './config.ts';
export { SizeConflict, WitnessError, type WitnessErrorCode } from './errors.ts';
export { WITNESS_PG_MIGRATIONS, WITNESS_SQLITE_MIGRATIONS } from './migrations.ts';
export { PostgresWitnessStore, type PostgresWitnessStoreOptions } from './pg-store.ts';
export { DEFAULT_ADD_CHECKPOINT_RATE_LIMIT, MemoryAddressLimiter, PgAddressLimiter, clientAddressKey, type RateLimit } from './rate-limit.ts';
export { MAX_PROOF_LINES, parseAddCheckpoint, type AddCheckpointRequest } from './request.ts';
export type { CheckpointDecide, CheckpointDecision, WitnessStateStore } from './state.ts';
export { WitnessStore, type Evidence, type StoredCheckpoint } from './store.ts';
export { Witness, type WitnessOptions } from './witness.ts';
