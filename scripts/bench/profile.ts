/**
 * Profiling entry: runs one scenario for one implementation in a loop long
 * enough for a CPU profile, then prints the top functions by self time.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx scripts/bench/profile.ts sealpost symmetric
 *   npx tsx scripts/bench/profile.ts --summarize /tmp/prof/<file>.cpuprofile
 *
 * Scenarios: symmetric (64 B), dh-ratchet, setup, out-of-order.
 */
import { readFileSync } from 'node:fs';
import { implementations } from './implementations.ts';
import { dhRatchet, outOfOrder, setup, symmetric } from './scenarios.ts';
import { durationInterleaved, settings, throughputInterleaved, type Task } from './timing.ts';

/** The parts of V8's .cpuprofile format the summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  /** Microseconds since the previous sample; samples are weighted by it (intervals stretch under load). */
  timeDeltas: number[];
}

/** Self-time share per function (name + file), largest first, weighted by sample time. */
export function summarizeProfile(profile: CpuProfile, top = 25): string[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const times = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byNode.get(profile.samples[i]!);
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    if (!node) continue;
    const { functionName, url } = node.callFrame;
    // tsx-compiled sources report line 1 for everything, so the file alone names the place.
    const file = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, '').replace(/^.*\/work\/main\//, '');
    const key = `${functionName || '(anonymous)'}${file ? `  ${file}` : ''}`;
    times.set(key, (times.get(key) ?? 0) + dt);
  }
  return [...times.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, t]) => `${((100 * t) / total).toFixed(1).padStart(5)}%  ${key}`);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--summarize') {
    const profile = JSON.parse(readFileSync(process.argv[3]!, 'utf8')) as CpuProfile;
    console.log(summarizeProfile(profile, Number(process.argv[4] ?? 25)).join('\n'));
    return;
  }
  const [name = 'sealpost', scenario = 'symmetric'] = process.argv.slice(2);
  const impl = (await implementations()).find((i) => i.name === name);
  if (!impl) throw new Error(`unknown implementation ${name}`);
  settings.rounds = 5;
  settings.roundMs = 1000;
  if (scenario === 'out-of-order') {
    const result = await durationInterleaved(new Map([[name, outOfOrder(impl, 1000) as Task]]));
    console.log(`${name} ${scenario}: ${JSON.stringify(result.get(name))} ms`);
    return;
  }
  const runner =
    scenario === 'symmetric' ? await symmetric(impl, 64) : scenario === 'dh-ratchet' ? await dhRatchet(impl) : await setup(impl);
  const result = (await throughputInterleaved(new Map([[name, runner]]))).get(name);
  console.log(`${name} ${scenario}: ${JSON.stringify(result)} ops/s`);
}

await main();
