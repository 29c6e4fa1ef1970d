/**
 * The browser benchmark's page (bundled by Vite, run in Chromium by
 * scripts/bench/browser.ts): the same scenarios (1)–(3) as the Node
 * benchmark (message-scenarios.ts), on the same implementations' harnesses
 * (ours.ts, peer-libsignal-protocol-ts.ts), timed the same way (throughput.ts)
 * with `performance.now()`. `globalThis.sealpostBench(options)` runs every
 * row and resolves with the figures.
 */
import { primitivesBackend } from '@sealpost/protocol/primitives';
import { sealpost } from '../ours.ts';
import { libsignalProtocolTs } from '../peer-libsignal-protocol-ts.ts';
import { throughputInterleavedWith, type Figure, type Runner } from '../throughput.ts';
import { BROWSER_ROWS } from './rows.ts';

/** What the driver passes. */
export interface PageBenchOptions {
  rounds: number;
  roundMs: number;
  /** Only these implementations (names) / rows (label prefixes), e.g. to profile one cell. */
  implementations?: string[];
  rows?: string[];
}

/** One row: figures by implementation name (null: it failed; `errors` says why). */
export interface PageBenchRow {
  label: string;
  unit: string;
  results: Record<string, Figure | null>;
}

/** Everything the page measured. */
export interface PageBenchResult {
  backend: string;
  implementations: { name: string; description: string }[];
  rows: PageBenchRow[];
  errors: string[];
}

async function run(options: PageBenchOptions): Promise<PageBenchResult> {
  // SPQR on (what a Sealpost session runs) and off (the Double Ratchet alone: like for like with the X3DH-only peer).
  const impls = [sealpost(), sealpost(false), libsignalProtocolTs()].filter((i) => options.implementations?.includes(i.name) ?? true);
  const errors: string[] = [];
  const rows: PageBenchRow[] = [];
  const timing = { rounds: options.rounds, roundMs: options.roundMs, deadlineS: 60, now: () => performance.now() };
  for (const row of BROWSER_ROWS.filter((r) => options.rows?.some((prefix) => r.label.startsWith(prefix)) ?? true)) {
    const runners = new Map<string, Runner>();
    for (const impl of impls) {
      try {
        runners.set(impl.name, await row.runner(impl));
      } catch (e) {
        errors.push(`${row.label} / ${impl.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const figures = await throughputInterleavedWith(timing, runners, (name, e) => errors.push(`${row.label} / ${name}: ${e instanceof Error ? e.message : String(e)}`));
    rows.push({ label: row.label, unit: row.unit, results: Object.fromEntries(impls.map((i) => [i.name, figures.get(i.name) ?? null])) });
  }
  return { backend: primitivesBackend, implementations: impls.map((i) => ({ name: i.name, description: i.description })), rows, errors };
}

(globalThis as { sealpostBench?: typeof run }).sealpostBench = run;
