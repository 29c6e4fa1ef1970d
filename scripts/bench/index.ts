/**
 * `pnpm run bench`: the protocol benchmarks of issue 7. Runs every scenario
 * for every implementation in this one process (the heap row alone uses one
 * short child process per implementation, so one implementation's freed
 * memory cannot hide another's growth) and prints the report as Markdown.
 *
 * Options: `--only <scenario,...>` to run a subset (symmetric, dh-ratchet,
 * setup, out-of-order, record-size, heap); env BENCH_ROUNDS / BENCH_ROUND_MS.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import type { Implementation, ScenarioId } from './contract.ts';
import { implementations, OURS, PEERS } from './implementations.ts';
import { machineDescription, mainTable, spreadTable } from './report.ts';
import { dhRatchet, heap, type HeapFigures, messageOverhead, outOfOrder, recordSize, setup, symmetric, type Row } from './scenarios.ts';
import { durationInterleaved, figure, throughputInterleaved, type Figure, type Runner, type Task } from './timing.ts';

const SESSIONS_HELD = 10_000;

async function heapChild(name: string): Promise<void> {
  const impl = (await implementations()).find((i) => i.name === name);
  if (!impl) throw new Error(`unknown implementation ${name}`);
  const result = await heap(impl, SESSIONS_HELD);
  process.stdout.write(JSON.stringify(result));
}

function heapInChild(name: string): HeapFigures {
  const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--heap-child', name], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out) as HeapFigures;
}

function selected(): Set<ScenarioId> {
  const i = process.argv.indexOf('--only');
  const all: ScenarioId[] = ['symmetric', 'dh-ratchet', 'setup', 'out-of-order', 'record-size', 'heap'];
  if (i < 0) return new Set(all);
  return new Set(process.argv[i + 1]!.split(',') as ScenarioId[]);
}

async function main(): Promise<void> {
  const child = process.argv.indexOf('--heap-child');
  if (child >= 0) return heapChild(process.argv[child + 1]!);

  const impls = await implementations();
  const names = impls.map((i) => i.name);
  const wanted = selected();
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  // A watchdog line every minute names the row in progress, so a stall (a peer's promise that never settles) is visible.
  let stage = 'starting';
  const started = Date.now();
  const watchdog = setInterval(() => log(`  … still on ${stage} (${Math.round((Date.now() - started) / 1000)} s)`), 60_000);
  watchdog.unref();
  console.log('### Machine\n');
  console.log(machineDescription().map((l) => `- ${l}`).join('\n'));
  console.log('');

  const rows: Row[] = [];
  const row = (scenario: ScenarioId, label: string, unit: string, higherIsBetter: boolean, comparable = true): Row => {
    const r: Row = { scenario, label, unit, higherIsBetter, comparable, results: new Map() };
    rows.push(r);
    return r;
  };

  const onError = (label: string) => (name: string, error: unknown) =>
    log(`  ${label} · ${name} FAILED: ${error instanceof Error ? error.message : String(error)}`);

  /** Throughput row: one runner per implementation that supports it, rounds interleaved. */
  async function throughputRow(target: Row, make: (impl: Implementation) => Promise<Runner>): Promise<void> {
    stage = target.label;
    log(`  ${target.label} …`);
    const runners = new Map<string, Runner>();
    for (const impl of impls) {
      if (!impl.supports.has(target.scenario)) continue;
      try {
        runners.set(impl.name, await make(impl));
      } catch (error) {
        onError(target.label)(impl.name, error);
        target.results.set(impl.name, null);
      }
    }
    for (const [name, result] of await throughputInterleaved(runners, onError(target.label))) target.results.set(name, result);
  }

  /** Run-once-and-time row: one task per implementation, rounds interleaved. */
  async function durationRow(target: Row, make: (impl: Implementation) => Task): Promise<void> {
    stage = target.label;
    log(`  ${target.label} …`);
    const tasks = new Map<string, Task>();
    for (const impl of impls) if (impl.supports.has(target.scenario)) tasks.set(impl.name, make(impl));
    for (const [name, result] of await durationInterleaved(tasks, onError(target.label))) target.results.set(name, result);
  }

  /** Single-shot row (sizes): measured once per implementation. */
  async function each(target: Row, measure: (impl: Implementation) => Promise<Figure | null>): Promise<void> {
    stage = target.label;
    log(`  ${target.label} …`);
    for (const impl of impls) {
      if (!impl.supports.has(target.scenario)) continue;
      try {
        target.results.set(impl.name, await measure(impl));
      } catch (error) {
        onError(target.label)(impl.name, error);
        target.results.set(impl.name, null);
      }
    }
  }

  if (wanted.has('symmetric')) {
    await throughputRow(row('symmetric', '(1) symmetric enc+dec, 64 B', 'msg/s', true), (impl) => symmetric(impl, 64));
    await throughputRow(row('symmetric', '(1) symmetric enc+dec, 1 KiB', 'msg/s', true), (impl) => symmetric(impl, 1024));
  }
  if (wanted.has('dh-ratchet')) await throughputRow(row('dh-ratchet', '(2) DH-ratchet ping-pong, 64 B', 'msg/s', true), dhRatchet);
  if (wanted.has('setup')) await throughputRow(row('setup', '(3) session setup (bundle → 1st msg → decrypt)', 'setups/s', true), setup);
  if (wanted.has('out-of-order')) {
    const thousand = row('out-of-order', '(4) 1,000 msgs decrypted in reverse', 'ms', false);
    const twoThousand = row('out-of-order', '(4) 2,000 msgs decrypted in reverse', 'ms', false);
    await durationRow(thousand, (impl) => outOfOrder(impl, 1000) as Task);
    await durationRow(twoThousand, (impl) => outOfOrder(impl, 2000) as Task);
    // Linear scaling gives 2.0; quadratic gives 4.0.
    const scaling = row('out-of-order', '(4) scaling: time(2,000) / time(1,000)', '×', false, false);
    for (const [name, t1] of thousand.results) {
      const t2 = twoThousand.results.get(name);
      scaling.results.set(name, t1 && t2 ? figure([t2.median / t1.median]) : null);
    }
  }
  if (wanted.has('record-size')) {
    await each(row('record-size', '(5) session record after 1,000 msgs', 'bytes', false), (impl) => recordSize(impl));
    await each(row('record-size', '(5) per-message overhead (avg wire bytes − 64 B plaintext)', 'bytes', false), (impl) => messageOverhead(impl));
  }
  if (wanted.has('heap')) {
    const heapRow = row('heap', `(5) heap+external per session, ${SESSIONS_HELD.toLocaleString('en-US')} held`, 'bytes', false);
    // Its two parts: V8 objects (what a held record's fields cost) and the bytes they view (record copies).
    const v8Row = row('heap', '(5) … of which V8 heap objects', 'bytes', false);
    const externalRow = row('heap', '(5) … of which external (ArrayBuffer) bytes', 'bytes', false);
    const rssRow = row('heap', `(5) RSS per session, ${SESSIONS_HELD.toLocaleString('en-US')} held`, 'bytes', false);
    for (const impl of impls) {
      if (!impl.supports.has('heap')) continue;
      stage = `heap · ${impl.name}`;
      log(`  heap · ${impl.name} …`);
      try {
        const { heapPerSession, rssPerSession, v8HeapPerSession, externalPerSession } = heapInChild(impl.name);
        heapRow.results.set(impl.name, figure([heapPerSession]));
        v8Row.results.set(impl.name, figure([v8HeapPerSession]));
        externalRow.results.set(impl.name, figure([externalPerSession]));
        rssRow.results.set(impl.name, figure([rssPerSession]));
      } catch (error) {
        log(`  heap · ${impl.name} FAILED: ${(error as Error).message}`);
      }
    }
  }

  const present = names.filter((n) => rows.some((r) => r.results.has(n)));
  const peers = PEERS.filter((p) => present.includes(p));
  console.log('### Results\n');
  console.log(mainTable(rows, present, OURS, peers));
  console.log('');
  console.log(`Ratios: "${OURS} vs X" is how many times better ours is (ops/s ÷ ops/s, or ms and bytes the other way up); > 1 means ours wins.\n`);
  console.log('#### Implementations\n');
  for (const impl of impls) console.log(`- **${impl.name}**: ${impl.description}`);
  console.log('');
  console.log('#### Spread over rounds (min – max)\n');
  console.log(spreadTable(rows, present));
  console.log('');
  console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

await main();
