/**
 * The slow-reader experiment of issue 11.3, shared by the bounded test
 * (slow-readers.test.ts) and the full measurement (scripts/relay-slow-readers.ts):
 * the relay as a child process, `devices` hostile devices whose queues hold
 * `envelopes` × `envelopeBytes`, each opened `socketsPerDevice` times by a
 * raw TCP client that completes the upgrade and never reads; meanwhile a
 * well-behaved device receives `probes` envelopes one at a time over its
 * WebSocket. Reports the relay's peak RSS (/proc) and the probe latencies.
 */
import type { Socket } from 'node:net';
import { fakeSealed } from './harness.ts';
import { openStalledSocket, rssBytes } from './proc.ts';
import { openStoreOf } from './test-storage.ts';
import { startWorld } from './world.ts';

export interface SlowReaderOptions {
  devices: number;
  socketsPerDevice: number;
  envelopes: number;
  envelopeBytes: number;
  probes: number;
  /** Extra relay flags. */
  relayArgs?: string[];
  /** Stop opening sockets once the relay's RSS passes this (protects the machine on a regression). */
  abortRssBytes?: number;
  log?: (line: string) => void;
}

export interface SlowReaderResult {
  socketsOpened: number;
  socketsRefused: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  rssAfterProbesMiB: number;
  latencyMs: { p50: number; p99: number; max: number };
  aborted: boolean;
}

const MiB = 1024 * 1024;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runSlowReaders(o: SlowReaderOptions): Promise<SlowReaderResult> {
  const log = o.log ?? (() => undefined);
  const world = await startWorld(o.relayArgs ?? []);
  const stalled: Socket[] = [];
  try {
    const bob = await world.newAccount(1, 'ours');
    // Hostile devices are registered ones (the relay checks credentials against the key server's list).
    const hostileDevices: { accountId: string; relayToken: string }[] = [];
    for (let i = 0; i < o.devices; i++) hostileDevices.push(await world.bareDevice());
    // Fill the hostile queues directly in the database while the relay is stopped (setup only).
    await world.relay.stop('SIGTERM');
    const store = await openStoreOf({ dbPath: world.relay.dbPath, databaseUrl: world.databaseUrl });
    const hostile = hostileDevices.map((d) => d.accountId);
    const tokens = new Map(hostileDevices.map((d) => [d.accountId, d.relayToken]));
    const content = fakeSealed(7, o.envelopeBytes);
    for (const id of hostile) {
      await store.enqueue(Array.from({ length: o.envelopes }, () => ({ accountId: id, deviceId: 1, content })), Date.now(), 3600_000, 1_000_000);
    }
    await store.close();
    await world.relay.start();
    const pid = world.relay.pid!;
    log(`filled ${o.devices} queues with ${o.envelopes} × ${o.envelopeBytes} B`);

    const good = await world.client.connect(bob.devices[0]!.relayToken, { autoAck: true });
    await good.waitFor(() => good.queueEmpty);
    const rssBefore = rssBytes(pid);
    let peak = rssBefore;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssBytes(pid));
      } catch {
        // exited
      }
    }, 50);

    let refused = 0;
    let aborted = false;
    const targets = hostile.flatMap((id) => Array.from({ length: o.socketsPerDevice }, () => id));
    for (let i = 0; i < targets.length && !aborted; i += 50) {
      const batch = await Promise.allSettled(targets.slice(i, i + 50).map((id) => openStalledSocket(world.relay.url, tokens.get(id)!)));
      for (const r of batch) {
        if (r.status === 'fulfilled') stalled.push(r.value);
        else refused++;
      }
      if (o.abortRssBytes !== undefined && rssBytes(pid) > o.abortRssBytes) aborted = true;
    }
    log(`opened ${stalled.length} stalled sockets (${refused} refused), rss ${(rssBytes(pid) / MiB).toFixed(0)} MiB`);
    // Let the relay push whatever it is going to push.
    await new Promise((r) => setTimeout(r, 1500));

    const d = bob.devices[0]!;
    const latencies: number[] = [];
    for (let i = 0; i < o.probes && !aborted; i++) {
      const before = good.received.length;
      const t0 = performance.now();
      const r = await world.client.send(bob.id, bob.accessKey, [{ deviceId: 1, registrationId: d.registrationId, content: fakeSealed(i, 256) }]);
      if (r.status !== 200) throw new Error(`probe send answered ${r.status}`);
      await good.waitFor(() => good.received.length > before, 10_000);
      latencies.push(performance.now() - t0);
    }
    clearInterval(sampler);
    const rssAfter = rssBytes(pid);
    peak = Math.max(peak, rssAfter);
    await good.close();
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      socketsOpened: stalled.length,
      socketsRefused: refused,
      rssBeforeMiB: Math.round(rssBefore / MiB),
      rssPeakMiB: Math.round(peak / MiB),
      rssAfterProbesMiB: Math.round(rssAfter / MiB),
      latencyMs: sorted.length === 0 ? { p50: NaN, p99: NaN, max: NaN } : { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1)!) },
      aborted,
    };
  } finally {
    for (const s of stalled) s.destroy();
    await world.close();
  }
}

const round = (x: number): number => Math.round(x * 10) / 10;
