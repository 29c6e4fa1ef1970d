import { implementations } from './implementations.ts';
import { dhRatchet, symmetric } from './scenarios.ts';
import { performance } from 'node:perf_hooks';
const impls = (await implementations()).filter((i) => ['sealpost', 'sealpost:no-spqr', 'libsignal-client-0103'].includes(i.name));
const rows: Record<string, number[]> = {};
const runners: [string, any][] = [];
for (const impl of impls) {
  runners.push([`${impl.name} sym64`, await symmetric(impl, 64)]);
  runners.push([`${impl.name} sym1k`, await symmetric(impl, 1024)]);
  runners.push([`${impl.name} dh`, await dhRatchet(impl)]);
}
for (let round = 0; round < Number(process.env.R ?? 5); round++) {
  for (const [name, r] of runners) {
    const t0 = performance.now(); const c0 = process.cpuUsage(); let ops = 0;
    while (performance.now() - t0 < 300) { await r.run(50); ops += 50 * r.opsPerIteration; }
    const c = process.cpuUsage(c0);
    (rows[name] ??= []).push(process.env.CPU ? ops / ((c.user + c.system) / 1e6) : ops / ((performance.now() - t0) / 1000));
  }
}
const med = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1]!;
for (const [k, v] of Object.entries(rows)) console.log(k.padEnd(34), Math.round(med(v)));
for (const s of ['sym64', 'sym1k', 'dh']) console.log(s, 'vs 0103', (med(rows[`sealpost ${s}`]!) / med(rows[`libsignal-client-0103 ${s}`]!)).toFixed(2), 'vs nospqr', (med(rows[`sealpost ${s}`]!) / med(rows[`sealpost:no-spqr ${s}`]!)).toFixed(2));
