/** The README's first command (`npm run demo`) runs the whole scripted conversation. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('demo', () => {
  it('runs end to end and shows each user view beside sealed, senderless relay rows', () => {
    const root = join(import.meta.dirname, '..');
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'demo.ts')], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const out = run.stdout;
    // Both of Bob's devices got the first message; the out-of-order batch; the reply, the reaction, the warning.
    expect(out.match(/Bob \((phone|laptop)\): Alice: Hi Bob! Lunch tomorrow\?/g)).toHaveLength(2);
    expect(out).toMatch(/Bob \(phone\): Alice: My treat 🍜[\s\S]*Bob \(phone\): Alice: How about 12:30\?/);
    expect(out).toContain('    Bob: ↪ re "At the noodle place.": Perfect, see you there!');
    expect(out).toContain('Bob (phone): Alice: reacted ❤️ to "Perfect, see you there!"');
    expect(out).toContain('⚠ safety number with Bob changed');
    // Relay rows: recipient, size, time, and sealed-sender v1 bytes (0x11...).
    const relayRows = out.match(/\d\d:\d\d:\d\d\.\d{3} → (Alice|Bob)#\d +\d+ B {2}11/g) ?? [];
    expect(relayRows.length).toBe(13);
    expect(out).toContain('the relay never learned who sent any of them');
  });
});
