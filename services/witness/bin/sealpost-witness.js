#!/usr/bin/env node
// `sealpost-witness`: the compiled witness (dist/main.js) under plain node, no tsx.
// In the workspace run `pnpm --filter @sealpost/witness start -- …` (tsx src/main.ts) instead.
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  const { configUsage } = await import('@sealpost/service-kit');
  const { WITNESS_CONFIG_SPEC } = await import('../dist/config.js');
  process.stdout.write(
    `Usage: sealpost-witness --name NAME --key KEY --logs VKEY[,VKEY...] [--flag value ...]\n` +
      `       sealpost-witness keygen --name NAME\n\n` +
      `Runs a C2SP tlog-witness. Settings: flags > WITNESS_* variables > --config file > defaults.\n\n${configUsage(WITNESS_CONFIG_SPEC, 'WITNESS_')}\n`,
  );
} else {
  await import('../dist/main.js');
}
