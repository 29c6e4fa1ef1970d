/**
 * Soak: `npx tsx scripts/attachments/soak.ts [MiB=2048]` — the memory
 * round trip of memory-roundtrip.ts at 2 GiB; prints the figures and exits
 * non-zero when RSS grew by 64 MiB or more.
 */
import { runMemoryRoundTrip } from './memory-roundtrip.ts';

const mib = Number(process.argv[2] ?? 2048);
const r = await runMemoryRoundTrip(mib);
process.stdout.write(
  `${mib} MiB: RSS ${r.baselineRssMiB.toFixed(1)} → peak ${r.peakRssMiB.toFixed(1)} MiB (growth ${r.growthMiB.toFixed(1)} MiB); ` +
    `upload ${r.uploadMiBs.toFixed(0)} MiB/s, download+decrypt ${r.downloadMiBs.toFixed(0)} MiB/s, ${r.seconds.toFixed(1)} s\n`,
);
process.exit(r.growthMiB < 64 ? 0 : 1);
