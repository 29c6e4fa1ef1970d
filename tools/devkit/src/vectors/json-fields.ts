/**
 * Typed field access and comparison for the vector files of test-vectors/:
 * each getter throws when the field is missing or of the wrong type (a
 * malformed file fails its case instead of passing vacuously).
 */
import { fromHex, toHex } from '@sealpost/protocol/primitives';

export type Json = Record<string, unknown>;

export function list(doc: Json, field: string): Json[] {
  const v = doc[field];
  if (!Array.isArray(v)) throw new Error(`field ${field} missing or not an array`);
  return v as Json[];
}
export function obj(doc: Json, field: string): Json {
  const v = doc[field];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`field ${field} missing or not an object`);
  return v as Json;
}
export function s(t: Json, field: string): string {
  const v = t[field];
  if (typeof v !== 'string') throw new Error(`field ${field} missing or not a string`);
  return v;
}
export function h(t: Json, field: string): Uint8Array {
  return fromHex(s(t, field));
}
export function n(t: Json, field: string): number {
  const v = t[field];
  if (typeof v !== 'number') throw new Error(`field ${field} missing or not a number`);
  return v;
}
/** true, or "what: got …, want …" (byte arrays compared as hex). */
export function eq(what: string, got: Uint8Array | string, want: Uint8Array | string): true | string {
  const g = typeof got === 'string' ? got : toHex(got);
  const w = typeof want === 'string' ? want : toHex(want);
  return g === w || `${what}: got ${g}, want ${w}`;
}
/** The first failure among `results`, or true. */
export function all(...results: (true | string)[]): true | string {
  return results.find((r) => r !== true) ?? true;
}
