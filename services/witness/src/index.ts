/** @sealpost/witness: a C2SP tlog-witness over @sealpost/keytrans. See the README. */
export { buildWitnessServer, type WitnessServer, type WitnessServerOptions } from './app.ts';
export { WITNESS_CONFIG_SPEC, loadConfig, type WitnessStartConfig } from './config.ts';
export { SizeConflict, WitnessError, type WitnessErrorCode } from './errors.ts';
export { MAX_PROOF_LINES, parseAddCheckpoint, type AddCheckpointRequest } from './request.ts';
export { WitnessStore, type Evidence, type StoredCheckpoint } from './store.ts';
export { Witness, type WitnessOptions } from './witness.ts';
