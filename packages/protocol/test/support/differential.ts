/**
 * Differential decoding against libsignal-client: each mutant is handed to
 * libsignal's deserializer and to ours; both either accept (and then their
 * summaries of what they read must be equal) or both reject. Disagreements
 * are counted by category; only categories documented in
 * docs/hardening/protocol.md may remain.
 */
import { SealpostError } from '../../src/errors.ts';
import { mutants } from './mutate.ts';

/** What one decoder made of the bytes: a summary string, or an error. */
type Outcome = { ok: true; summary: string } | { ok: false; error: unknown };

/** One message type under test. */
export interface DifferentialCase {
  readonly name: string;
  readonly seeds: readonly Uint8Array[];
  readonly perSeed: number;
  /** Protobuf region of the seed for the structural mutators. */
  readonly pbStart?: number;
  readonly pbTrailer?: number;
  /** libsignal's reading: returns a summary, throws on reject. */
  readonly libsignal: (bytes: Uint8Array) => string | Promise<string>;
  /** Ours: returns a summary, throws (a SealpostError) on reject. */
  readonly ours: (bytes: Uint8Array) => string;
  /** Names a documented reason for a disagreement, or undefined. */
  readonly explain?: (bytes: Uint8Array, lib: Outcome, ours: Outcome) => string | undefined;
}

/** Per-case result. */
export interface DifferentialResult {
  readonly name: string;
  readonly total: number;
  readonly agreed: number;
  readonly libAccepted: number;
  /** Documented disagreements by reason. */
  readonly explained: Record<string, number>;
  /** Unexplained disagreements (first few, hex). */
  readonly unexplained: { hex: string; lib: string; ours: string }[];
  /** Non-SealpostError exceptions from our decoder (crashes). */
  readonly crashes: string[];
}

async function run<T>(f: () => T | Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await f() };
  } catch (error) {
    return { ok: false, error };
  }
}

function describeOutcome(o: Outcome): string {
  if (o.ok) return `accept ${o.summary.slice(0, 160)}`;
  return `reject ${(o.error as Error)?.message ?? String(o.error)}`;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Runs one case over its seeds and their mutants (seed + index gives the PRNG seed). */
export async function runDifferential(c: DifferentialCase, rngSeed: number): Promise<DifferentialResult> {
  const inputs: Uint8Array[] = [];
  c.seeds.forEach((s, i) => {
    inputs.push(s);
    inputs.push(...mutants(s, c.perSeed, rngSeed + i, c.pbStart ?? 0, c.pbTrailer ?? 0));
  });
  let agreed = 0;
  let libAccepted = 0;
  const explained: Record<string, number> = {};
  const unexplained: DifferentialResult['unexplained'] = [];
  const crashes: string[] = [];
  for (const bytes of inputs) {
    const libRun = await run(() => c.libsignal(bytes.slice()));
    const lib: Outcome = libRun.ok ? { ok: true, summary: libRun.value } : { ok: false, error: libRun.error };
    const oursRun = await run(() => c.ours(bytes.slice()));
    const ours: Outcome = oursRun.ok ? { ok: true, summary: oursRun.value } : { ok: false, error: oursRun.error };
    if (!ours.ok && !(ours.error instanceof SealpostError)) crashes.push(`${hex(bytes).slice(0, 200)}: ${String(ours.error)}`);
    if (lib.ok) libAccepted++;
    const same = lib.ok === ours.ok && (!lib.ok || (ours.ok && lib.summary === ours.summary));
    if (same) {
      agreed++;
      continue;
    }
    const why = c.explain?.(bytes, lib, ours);
    if (why !== undefined) explained[why] = (explained[why] ?? 0) + 1;
    else if (unexplained.length < 8) unexplained.push({ hex: hex(bytes).slice(0, 400), lib: describeOutcome(lib), ours: describeOutcome(ours) });
    else unexplained.push({ hex: '', lib: '', ours: '' });
  }
  return { name: c.name, total: inputs.length, agreed, libAccepted, explained, unexplained, crashes };
}

/** One line per case, for the test log (and docs/hardening/protocol.md). */
export function formatResult(r: DifferentialResult): string {
  const rate = ((100 * r.agreed) / r.total).toFixed(2);
  const ex = Object.entries(r.explained)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  return `interop differential ${r.name}: ${r.agreed}/${r.total} agree (${rate}%), libsignal accepted ${r.libAccepted}` +
    `${ex === '' ? '' : `; documented disagreements: ${ex}`}; unexplained ${r.unexplained.length}`;
}

/** True when our rejection is the documented "public key with trailing bytes" strictness. */
export function isTrailingKeyRejection(ours: Outcome, lib: Outcome): boolean {
  if (ours.ok || !lib.ok) return false;
  return /must be 33 bytes|33-byte|33 bytes starting with 0x05/.test((ours.error as Error)?.message ?? '');
}

export type { Outcome };
