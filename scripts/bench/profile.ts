/**
 * Profiling entry: runs one scenario's loop for one implementation for a
 * fixed time (default 10 s) under a CPU profiler; `--summarize` then prints
 * the top functions by self time and the time per library.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx scripts/bench/profile.ts sealpost symmetric [seconds]
 *   npx tsx scripts/bench/profile.ts --summarize /tmp/prof/<file>.cpuprofile
 *
 * Scenarios: symmetric (64 B), dh-ratchet, setup, out-of-order.
 */
import { readFileSync } from 'node:fs';
import { implementations } from './implementations.ts';
import { dhRatchet, outOfOrder, setup, symmetric } from './scenarios.ts';
import { performance } from 'node:perf_hooks';
import type { Task } from './timing.ts';

/** The parts of V8's .cpuprofile format the summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  /** Microseconds since the previous sample; samples are weighted by it (intervals stretch under load). */
  timeDeltas: number[];
}

/**
 * Which bucket a frame's self time belongs to, for the per-library view:
 * the npm package (scoped name plus file for @noble, whose files are the
 * algorithms), node's crypto bindings by function, our sources by file.
 */
function libraryOf(functionName: string, url: string): string {
  if (url === '') return functionName || '(native)';
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (pkg) {
    const [, name, rest] = pkg;
    // ML-KEM's NTT lives in @noble/curves/abstract/fft.
    if (name === '@noble/post-quantum' || (name === '@noble/hashes' && rest!.includes('sha3')) || rest === 'abstract/fft.js') return 'Kyber1024 / ML-KEM (@noble/post-quantum + sha3)';
    if (name === '@noble/curves') return 'Edwards/field arithmetic (@noble/curves)';
    return name!;
  }
  if (url.startsWith('node:internal/crypto/')) return `node:crypto ${functionName}`;
  if (url.startsWith('node:')) return 'node internals (other)';
  const ours = /\/work\/(?:main|wt\/[^/]+)\/(.*)$/.exec(url);
  return ours ? ours[1]! : url;
}

type CallFrame = CpuProfile['nodes'][number]['callFrame'];

/** Self-time share per key (`keyOf` a sample's call frame), largest first, weighted by sample time. */
function selfTimeShares(profile: CpuProfile, top: number, keyOf: (frame: CallFrame) => string): string[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const times = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byNode.get(profile.samples[i]!);
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    if (!node) continue;
    const key = keyOf(node.callFrame);
    times.set(key, (times.get(key) ?? 0) + dt);
  }
  return [...times.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, t]) => `${((100 * t) / total).toFixed(1).padStart(5)}%  ${key}`);
}

/** Self-time share per library bucket (see libraryOf), largest first. */
export function summarizeByLibrary(profile: CpuProfile, top = 15): string[] {
  return selfTimeShares(profile, top, (frame) => libraryOf(frame.functionName, frame.url));
}

/** Self-time share per function (name + file), largest first, weighted by sample time. */
export function summarizeProfile(profile: CpuProfile, top = 25): string[] {
  return selfTimeShares(profile, top, ({ functionName, url }) => {
    // tsx-compiled sources report line 1 for everything, so the file alone names the place.
    const file = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, '').replace(/^.*\/work\/(?:main|wt\/[^/]+)\//, '');
    return `${functionName || '(anonymous)'}${file ? `  ${file}` : ''}`;
  });
}

async function main(): Promise<void> {
  if (process.argv[2] === '--summarize') {
    const profile = JSON.parse(readFileSync(process.argv[3]!, 'utf8')) as CpuProfile;
    console.log('by function:');
    console.log(summarizeProfile(profile, Number(process.argv[4] ?? 25)).join('\n'));
    console.log('\nby library:');
    console.log(summarizeByLibrary(profile).join('\n'));
    return;
  }
  const [name = 'sealpost', scenario = 'symmetric', seconds = '10'] = process.argv.slice(2);
  const impl = (await implementations()).find((i) => i.name === name);
  if (!impl) throw new Error(`unknown implementation ${name}`);
  // Run the scenario's own loop for a fixed time so the profile is mostly steady state.
  const until = performance.now() + Number(seconds) * 1000;
  let operations = 0;
  if (scenario === 'out-of-order') {
    const task = outOfOrder(impl, 1000) as Task;
    while (performance.now() < until) {
      await task.run(await task.prepare());
      operations += 1000;
    }
  } else {
    const runner =
      scenario === 'symmetric' ? await symmetric(impl, 64) : scenario === 'dh-ratchet' ? await dhRatchet(impl) : await setup(impl);
    const batch = scenario === 'setup' ? 50 : 500;
    while (performance.now() < until) {
      if (runner.prepare) await runner.prepare(batch);
      await runner.run(batch);
      operations += batch * runner.opsPerIteration;
    }
  }
  console.log(`${name} ${scenario}: ${operations} operations in ${seconds} s`);
}

await main();
