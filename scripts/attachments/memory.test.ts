import { describe, expect, it } from 'vitest';
import { runMemoryRoundTrip } from './memory-roundtrip.ts';

// 512 MiB by default (issue 14); SEALPOST_ATTACHMENT_MEMORY_MIB overrides it. 2 GiB: scripts/attachments/soak.ts.
const MIB = Number(process.env.SEALPOST_ATTACHMENT_MEMORY_MIB ?? 512);

describe('attachment memory', () => {
  it(`${MIB} MiB through encrypt → upload → download → decrypt grows RSS by less than 64 MiB`, async () => {
    const r = await runMemoryRoundTrip(MIB);
    console.log(`attachment memory: ${JSON.stringify(r)}`);
    expect(r.growthMiB).toBeLessThan(64);
  }, 240_000);
});
