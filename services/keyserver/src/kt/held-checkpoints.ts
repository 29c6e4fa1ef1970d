/**
 * The checkpoints `KtLog` holds in memory — the newest witnessed one and
 * every newer one — with the cosignature lines received for each, keyed by
 * witness name (only the configured witnesses' lines count).
 */
import type { KtCheckpointRow } from './kt-store.ts';

export interface HeldCheckpoint {
  note: string;
  /** witness name → its cosignature line. */
  cosigs: Map<string, string>;
}

/** The name in a signature line `— name base64`. */
export function lineName(line: string): string {
  return line.slice(2, line.lastIndexOf(' '));
}

/** Adds a stored row's cosignature lines (of witnesses in `names`) to `held`, or a new held checkpoint. */
export function mergeCosignatures(held: HeldCheckpoint | undefined, row: KtCheckpointRow, names: ReadonlySet<string>): HeldCheckpoint {
  const out = held ?? { note: row.note, cosigs: new Map<string, string>() };
  for (const line of row.cosignatures.split('\n')) {
    if (line === '' || !names.has(lineName(line)) || out.cosigs.has(lineName(line))) continue;
    out.cosigs.set(lineName(line), `${line}\n`);
  }
  return out;
}

/** The largest size ≤ `max` whose checkpoint has `quorum` cosignatures (0: none). */
export function newestWitnessed(held: ReadonlyMap<number, HeldCheckpoint>, quorum: number, max: number): number {
  let best = 0;
  for (const [size, c] of held) if (size <= max && size > best && c.cosigs.size >= quorum) best = size;
  return best;
}
