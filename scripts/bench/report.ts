/**
 * Turns measured rows into the printed report: machine description, the
 * main table (medians and ours-vs-peer ratios) and the spread table.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import type { Row } from './scenarios.ts';
import { settings } from './timing.ts';

/** CPU model (from /proc/cpuinfo where present), cores, memory, node, load. */
export function machineDescription(): string[] {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) model = line.split(':')[1]!.trim();
  } catch {
    // not Linux: os.cpus() already gave a model
  }
  const [one, five, fifteen] = loadavg().map((l) => l.toFixed(2));
  return [
    `date: ${new Date().toISOString()}`,
    `cpu: ${model} × ${cpus().length} logical cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
    `os: ${osType()} ${release()}`,
    `node: ${process.version} (V8 ${process.versions.v8}, OpenSSL ${process.versions.openssl})`,
    `load average at start: ${one} ${five} ${fifteen}`,
    `rounds: median of ${settings.rounds}, each ~${settings.roundMs} ms (throughput rows), interleaved across implementations; clock: ${settings.clock === 'cpu' ? 'process CPU time' : 'wall time'}`,
  ];
}

function formatNumber(value: number, unit: string): string {
  if (unit === 'ms') return value < 10 ? value.toFixed(2) : value.toFixed(1);
  if (unit === '×') return value.toFixed(2);
  return Math.round(value).toLocaleString('en-US');
}

/** A ratio where > 1 always means `ours` is better (faster or smaller). */
export function advantage(row: Row, ours: number, peer: number): number {
  return row.higherIsBetter ? ours / peer : peer / ours;
}

/** The main table: one row per measurement, one column per implementation, then ours-vs-peer. */
export function mainTable(rows: readonly Row[], implementations: readonly string[], ours: string, peers: readonly string[]): string {
  const header = ['measurement', 'unit', ...implementations, ...peers.map((p) => `${ours} vs ${p}`)];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of rows) {
    const cells = [row.label, row.unit];
    for (const name of implementations) {
      const result = row.results.get(name);
      cells.push(result ? formatNumber(result.median, row.unit) : 'n/a');
    }
    const mine = row.results.get(ours);
    for (const peer of peers) {
      const theirs = row.results.get(peer);
      cells.push(row.comparable && mine && theirs && theirs.median > 0 && mine.median > 0 ? `${advantage(row, mine.median, theirs.median).toFixed(2)}×` : '—');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Spread table: min–max over rounds per cell, so noise is visible next to the medians. */
export function spreadTable(rows: readonly Row[], implementations: readonly string[]): string {
  const header = ['measurement', ...implementations];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 1 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of rows) {
    if (row.results.size === 0 || [...row.results.values()].every((f) => f === null || f.rounds < 2)) continue;
    const cells = [`${row.label} (${row.unit})`];
    for (const name of implementations) {
      const r = row.results.get(name);
      cells.push(r ? `${formatNumber(r.min, row.unit)} – ${formatNumber(r.max, row.unit)}` : 'n/a');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
