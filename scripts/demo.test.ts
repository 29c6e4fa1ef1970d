/** The README's first command (`npm run demo`) runs the whole scripted conversation. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('demo', () => {
  it('runs end to end and shows each user view beside sealed, senderless relay rows, and key transparency catching the insider', () => {
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
    // Relay rows: recipient, size, time, and sealed-sender v1 bytes (0x11...) — counted before the group step.
    const groupAt = out.indexOf('▸ A group of three');
    expect(groupAt).toBeGreaterThan(0);
    const beforeGroup = out.slice(0, groupAt) + out.slice(out.indexOf('▸ An insider'));
    const relayRows = beforeGroup.match(/\d\d:\d\d:\d\d\.\d{3} → (Alice|Bob)#\d +\d+ B {2}11/g) ?? [];
    // 13 for the conversation + 2 for the photo message (Bob's phone and laptop).
    expect(relayRows.length).toBe(15);
    // The photo: EXIF gone at Bob's end; the blob store lists ciphertext files and tus records, none naming the file, an account or the type.
    expect(out).toMatch(/Alice's photo: 1200×800, \d+ B, EXIF \d+ B \(GPS/);
    expect(out).toMatch(/Bob downloaded "alice-at-the-lake\.jpg" \(image\/jpeg, \d+ B\): digest \+ MACs verified; 1200×800; no EXIF, no GPS, no owner/);
    expect(out).toMatch(/uploaded (\d+)\/\1 B encrypted/);
    const blobs = out.match(/^ {4}[A-Za-z0-9_-]{20} +\d+ B {2}[0-9a-f]{48}… {2}\(iv ‖ AES-CBC ‖ HMAC\)$/gm) ?? [];
    const records = out.match(/^ {4}[A-Za-z0-9_-]{20}\.json +tus record: \{"id":"[A-Za-z0-9_-]{20}","size":\d+,"offset":\d+,"creation_date":"[^"]+"\}$/gm) ?? [];
    expect([blobs.length, records.length]).toEqual([2, 2]);
    expect(out.match(/✓ not stored: /g)).toHaveLength(6);
    expect(out).not.toContain('FOUND');
    expect(out).toContain('Bob (phone): Alice: Look where I am! [image/jpeg');
    expect(out).toContain('the relay never learned who sent any of them');
    // The group: one v2 upload split per device (rows 22…), the tablet reads the message after it linked, Carol reads nothing after her removal.
    const group = out.slice(groupAt, out.indexOf('▸ An insider'));
    expect(group.match(/→ (Alice|Bob|Carol)#\d +\d+ B {2}22/g)?.length).toBeGreaterThanOrEqual(10);
    expect(group).toContain('Carol (tablet): Alice: Carol, your tablet');
    expect(group).toContain('Bob (phone): Alice: Surprise party for Carol');
    expect(group).not.toMatch(/Carol( \(tablet\))?: (Alice|Bob): (Surprise party|I'll bring)/);
    expect(group).toContain("✓ Carol's devices got no message after the removal");
    // Conversations: unread counts in the list, FTS5 search with a snippet, pages, the read receipt and the read sync.
    const conv = out.slice(out.indexOf('▸ Conversations:'), out.indexOf('▸ Bob edits'));
    expect(conv).toMatch(/Lunch crew +3 unread/);
    expect(conv).toMatch(/Alice +6 unread +last: "Look where I am!"/);
    expect(conv).toContain('"At the [noodle] place."');
    expect(conv).toContain('| next page: "At the noodle place."');
    expect(conv).toContain('6 marked read → one read receipt');
    expect(conv).toContain("✓ Bob's laptop: 0 unread with Alice after the read sync");
    expect(conv).toContain("✓ Alice's client took the receipt in and stored 0 chat messages for it");
    expect(conv.match(/→ Alice#1 +\d+ B {2}11/g)).toHaveLength(1); // one receipt; none once switched off
    expect(conv).toContain('(laptop: 0 unread)');
    // Receipts: one batched delivery receipt per Bob device, ✓✓ per message and device on Alice's side, a read receipt, typing coalesced.
    const receipts = out.slice(out.indexOf("▸ Receipts: Bob's devices"), out.indexOf('▸ An insider'));
    expect(receipts.match(/Bob \((phone|laptop)\) owed \d+ delivery receipts .*: sent as 1 receipt\(s\)/g)).toHaveLength(2);
    expect(receipts).toContain('Alice got 2 receipts');
    expect(receipts).toMatch(/✓✓ "Hi Bob! Lunch tomorrow\?" .*delivered to Bob#1, Bob#2/);
    expect(receipts).toMatch(/✓✓ read.* "Hi Bob! Lunch tomorrow\?" .*read by Bob#1/);
    expect(receipts).toMatch(/✓✓ "My treat 🍜" .*delivered to Bob#1, Bob#2/);
    expect(receipts).toContain('typing started ×3 within a second → 1 envelope');
    expect(receipts).toContain('Alice sees: Bob is typing…');
    expect(receipts).toContain('Alice sees: Bob stopped typing; typing now: []');
    expect(receipts).toMatch(/✓.* receipts and typing are not messages/);
    // Edits (scripts/demo-edits.ts): Bob's edit and delete reach Alice and his laptop; the door code is gone; a poll extension arrives intact.
    const edits = out.slice(out.indexOf('▸ Bob edits'), out.indexOf('▸ An insider'));
    expect(out.indexOf('▸ Bob edits')).toBeGreaterThan(groupAt);
    for (const who of ['Alice', 'Bob (laptop)', 'Bob (phone)']) {
      expect(edits).toContain(`${who}: ✎ (edited) Running 5 minutes late`);
      expect(edits).toContain(`${who}: 🗑 message deleted`);
    }
    expect(edits).toContain('Alice\'s edit history of it: "Running 5 minutes lat" → now "Running 5 minutes late"');
    expect(edits).toContain("✓ the door code is gone from Alice's store");
    expect(edits).toContain("Alice trying to edit Bob's message: EDIT_NOT_AUTHOR");
    expect(edits).toMatch(/Bob \(laptop\): ⧉ com\.example\.poll \(43 B\)/);
    expect(edits).toContain('com.example.poll with 43 B, ✓ byte for byte');
    // Account deletion: Carol deletes her account; her tablet is refused; Alice's next message fails cleanly.
    const deletion = out.slice(out.indexOf('▸ Carol deletes her account'), out.indexOf('▸ An insider'));
    expect(deletion).toContain("✓ the key server answers Carol's device list with 410 ACCOUNT_DELETED");
    expect(deletion).toContain("✓ Carol's tablet is refused by the key server: ACCOUNT_DELETED");
    expect(deletion).toContain("✓ Alice's send failed cleanly: ACCOUNT_DELETED (relay 410); contactDeleted fired; outbox 0");
    expect(deletion).not.toMatch(/→ Carol#\d/);
    // Disappearing messages: the timer change shows on every device of both sides; the read message is gone 61 s later, also from the phone's file.
    const timer = out.slice(out.indexOf('▸ Disappearing messages'), out.indexOf('▸ An insider'));
    for (const who of ['Alice', 'Bob (phone)', 'Bob (laptop)']) expect(timer).toContain(`${who}: ⏳ disappearing messages set to 60 s by Bob`);
    expect(timer).toContain("Alice's message carries expire_timer = 60 s (version 1)");
    expect(timer).toMatch(/✓ 61 s later the phone deleted it \(1 message\(s\)\); bob-phone\.db \+ WAL held the text before: true, after: false/);
    expect(timer).toContain('Alice: ⏳ disappearing messages turned off by Bob');
    // History for Bob's new laptop: imported from the phone, byte for byte, the archive on the blob server holds no text, the pointer went to device 3 only.
    const history = out.slice(out.indexOf("▸ Bob's new laptop"), out.indexOf('▸ An insider'));
    expect(out.indexOf("▸ Bob's new laptop")).toBeGreaterThan(out.indexOf('▸ Disappearing messages'));
    expect(history).toMatch(/new laptop: done \((\d+) imported, 0 already there\)/);
    const shownCounts = /the new laptop \(#3\) shows (\d+) earlier messages with Alice \(the phone holds (\d+); (\d+) disappearing message\(s\) stay behind\)/.exec(history);
    expect(shownCounts).not.toBeNull();
    expect(Number(shownCounts![1]) + Number(shownCounts![3])).toBe(Number(shownCounts![2]));
    expect(history).toMatch(/^ {4}\d\d:\d\d:\d\d\.\d{3} Alice: Hi Bob! Lunch tomorrow\?$/m);
    expect(history).toContain('✓ byte for byte');
    expect(history).toMatch(/✓ none of the \d+ texts in it/);
    expect(history).not.toMatch(/LEAKED|DIFFERENT/);
    expect(history.match(/→ Bob#3 +\d+ B/g)).toHaveLength(1);
    // Key transparency: Alice's first fetch of Bob's bundle verified against a witnessed checkpoint (2 of 3 needed), before the group step.
    expect(out).toMatch(/key transparency: log keys\.sealpost\.test\/sealpost-kt\/[0-9a-f]{16}, 3 witnesses, quorum 2/);
    const verifiedAt = out.search(/key transparency: verified \(witnessed [23]\/3, quorum 2\)/);
    expect(verifiedAt).toBeGreaterThan(0);
    expect(verifiedAt).toBeLessThan(groupAt);
    // The insider swaps Bob's key for Alice (unlogged): refused, with evidence naming the logged and the shown key; nothing to Bob at the relay.
    const swapAt = out.indexOf("▸ An insider who runs the key server swaps Bob's key for Alice");
    const forgeAt = out.indexOf('▸ An insider who runs the key server forges a sender certificate');
    expect(swapAt).toBeGreaterThan(out.indexOf("▸ Bob's new laptop"));
    expect(forgeAt).toBeGreaterThan(swapAt);
    const swap = out.slice(swapAt, out.indexOf('▸ The insider logs the attacker key'));
    const keys = /an attacker key ([0-9a-f]{4}(?: [0-9a-f]{4}){3}) .*Bob's real key is ([0-9a-f]{4}(?: [0-9a-f]{4}){3})/.exec(swap);
    expect(keys).not.toBeNull();
    const [, attackerKey, bobKey] = keys!;
    expect(attackerKey).not.toBe(bobKey);
    expect(swap).toContain('Alice\'s client: kt event "mismatch" (refused) → send failed with KT_MISMATCH');
    expect(swap).toMatch(/evidence: checkpoint size \d+, cosigned by [23] of 3 witnesses \(policy: 2 of 3\)/);
    expect(swap).toContain(`evidence: the log's version 0 of Bob's label holds ${bobKey}; the bundle showed ${attackerKey}`);
    expect(swap).toContain('✓ relay received 0 envelopes for the fake session');
    expect(swap).toContain(`(unchanged), outbox 0, trusted key for Bob still ${bobKey}`);
    expect(swap).not.toMatch(/→ Bob#\d/);
    expect(swap).toContain('Alice: ⚠ key transparency: mismatch (refused) for Bob (bundle)');
    // Logged as version 1 instead: Bob's phone's owner monitoring raises the alarm, with evidence anyone can check.
    const logged = out.slice(out.indexOf('▸ The insider logs the attacker key'), forgeAt);
    expect(logged).toContain(`version 1 of Bob's label: ${attackerKey} — sequenced: true, witnessed: true`);
    expect(logged).toContain('Bob\'s phone (owner monitoring): kt event "ownerAlarm"');
    expect(logged).toContain(`this device created version 0 (${bobKey})`);
    expect(logged).toContain('checkEvidence passed');
    expect(logged).toContain('Bob (phone): ⚠ key transparency: ownerAlarm for Bob (owner)');
    // The forged certificate's key is not the log's either (checked in the background).
    expect(out.slice(forgeAt)).toMatch(new RegExp(`"mismatch" — shown [0-9a-f ]{19}, the log's version 1 holds ${attackerKey}`));
  });
});
