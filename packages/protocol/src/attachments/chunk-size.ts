/**
 * libsignal's chunk-size rule for the incremental MAC
 * (rust/protocol/src/incremental_mac.rs `calculate_chunk_size`): aim for 256
 * digests (8 KiB of MACs) with chunks between 64 KiB and 2 MiB. Computed in
 * doubles, so it also works past 2^32 (libsignal's bridge takes a u32).
 */
import { InvalidArgumentError } from '../errors.ts';

export const MIN_CHUNK_SIZE = 64 * 1024;
export const MAX_CHUNK_SIZE = 2 * 1024 * 1024;
const TARGET_CHUNK_COUNT = 256;

/** The chunk size for a blob of `dataSize` bytes (the *ciphertext* length, as Signal uses it). */
export function incrementalChunkSize(dataSize: number): number {
  if (!Number.isSafeInteger(dataSize) || dataSize < 0) throw new InvalidArgumentError(`data size must be a non-negative safe integer, got ${dataSize}`);
  if (dataSize < TARGET_CHUNK_COUNT * MIN_CHUNK_SIZE) return MIN_CHUNK_SIZE;
  if (dataSize < TARGET_CHUNK_COUNT * MAX_CHUNK_SIZE) return Math.ceil(dataSize / TARGET_CHUNK_COUNT);
  return MAX_CHUNK_SIZE;
}
