#!/usr/bin/env node
// `sealpost-witness`: the compiled witness (dist/main.js) under plain node, no tsx.
// `--help` lists the flags and WITNESS_* variables, from the same spec the loader reads.
// In the workspace run `pnpm --filter @sealpost/witness start -- …` (tsx src/main.ts) instead.
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  const { witnessUsage } = await import('../dist/config.js');
  process.stdout.write(witnessUsage());
} else {
  await import('../dist/main.js');
}
