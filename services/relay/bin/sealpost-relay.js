#!/usr/bin/env node
// `sealpost-relay`: the compiled relay (dist/main.js) under plain node, no tsx.
// `--help` lists the flags and RELAY_* variables, from the same spec the loader reads.
// For installed packages: in the workspace the @sealpost/* exports point at .ts sources, so run
// src/main.ts with tsx there instead (npx tsx services/relay/src/main.ts).
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  const { configUsage } = await import('@sealpost/service-kit');
  const { RELAY_CONFIG_SPEC } = await import('../dist/config.js');
  process.stdout.write(
    `Usage: sealpost-relay --keyserver-url URL --keyserver-public-key KEY [--flag value ...]\n\n` +
      `Runs the Sealpost relay: sealed envelopes queued per device, delivered over WebSocket or by polling.\n` +
      `Settings: flags > RELAY_* variables > --config file > defaults.\n\n${configUsage(RELAY_CONFIG_SPEC, 'RELAY_')}\n`,
  );
} else {
  await import('../dist/main.js');
}
