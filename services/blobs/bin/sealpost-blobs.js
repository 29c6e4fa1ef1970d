#!/usr/bin/env node
// `sealpost-blobs`: the compiled blob service (dist/main.js) under plain node, no tsx.
// `--help` lists the flags and BLOBS_* variables, from the same spec the loader reads.
// In the workspace run src/main.ts with tsx instead (npx tsx services/blobs/src/main.ts).
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  const { configUsage } = await import('@sealpost/service-kit');
  const { BLOBS_CONFIG_SPEC } = await import('../dist/config.js');
  process.stdout.write(
    `Usage: sealpost-blobs --keyserver-public-key KEY [--flag value ...]\n\n` +
      `Runs the Sealpost blob service: tus uploads of encrypted attachments, Range downloads by random key.\n` +
      `Settings: flags > BLOBS_* variables > --config file > defaults.\n\n${configUsage(BLOBS_CONFIG_SPEC, 'BLOBS_')}\n`,
  );
} else {
  await import('../dist/main.js');
}
