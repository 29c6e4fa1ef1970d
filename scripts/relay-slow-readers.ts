/**
 * Issue 11.3, the full measurement: 1,000 hostile sockets that complete the
 * WebSocket upgrade and never read (raw TCP), each on its own device with a
 * filled queue, against the relay as a child process; prints the relay's RSS
 * (from /proc) and a well-behaved device's delivery latency (send → push).
 * Target: RSS < 512 MiB, p99 < 100 ms. Figures go in docs/hardening/relay.md.
 *
 *   npx tsx scripts/relay-slow-readers.ts [--devices 1000] [--sockets-per-device 1]
 *     [--envelopes 8] [--envelope-bytes 262144] [--probes 200]
 *
 * Needs about devices × envelopes × envelope-bytes of temporary disk.
 */
import { parseArgs } from 'node:util';
import { runSlowReaders } from '../services/relay/test/support/slow-readers.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    'sockets-per-device': { type: 'string', default: '1' },
    envelopes: { type: 'string', default: '8' },
    'envelope-bytes': { type: 'string', default: String(256 * 1024) },
    probes: { type: 'string', default: '200' },
  },
});

const options = {
  devices: Number(values.devices),
  socketsPerDevice: Number(values['sockets-per-device']),
  envelopes: Number(values.envelopes),
  envelopeBytes: Number(values['envelope-bytes']),
  probes: Number(values.probes),
  // The relay refuses more than its connection cap; keep the default (10,000) above the socket count.
  abortRssBytes: 4 * 1024 * 1024 * 1024,
  log: (line: string) => process.stdout.write(`  ${line}\n`),
};
process.stdout.write(`relay slow readers: ${JSON.stringify(options)}\n`);
const r = await runSlowReaders(options);
process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
process.stdout.write(
  `${r.socketsOpened} stalled sockets: relay RSS ${r.rssBeforeMiB} → peak ${r.rssPeakMiB} MiB (target < 512); ` +
    `good reader latency p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms (target p99 < 100)\n`,
);
