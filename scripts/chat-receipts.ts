/**
 * Receipts and typing in the terminal chat (scripts/chat.ts): prints ✓✓
 * when a peer device's delivery receipt for one of our messages arrives and
 * "✓✓ read" for a read receipt, "<peer> is typing…" while the peer types,
 * and sends typing indicators from the keyboard (STARTED while a line is
 * being typed — the SDK sends at most one per 3 s — and STOPPED when it is
 * sent or cleared).
 */
import type { MessageRef, SealpostClient } from '@sealpost/client';

export interface ChatReceipts {
  /** Remember a message we sent, to name it when its receipts come. */
  sent(ref: MessageRef, text: string): void;
}

export function chatReceipts(client: SealpostClient, print: (line: string) => void, peerProfile: string, peer: () => string | undefined, currentLine: () => string): ChatReceipts {
  const texts = new Map<number, string>();
  const typingShown = new Set<string>();
  client.on('receipt', (r) => {
    for (const t of r.targets) {
      const text = texts.get(t.timestamp) ?? `message of ${new Date(t.timestamp).toLocaleTimeString()}`;
      print(`  ${r.type === 'read' ? '✓✓ read' : '✓✓'} "${text.slice(0, 40)}" (${peerProfile} device ${r.from.device})`);
    }
  });
  client.on('typing', (t) => {
    const key = `${t.conversation}.${t.from.device}`;
    if (t.action === 'started' && !typingShown.has(key)) print(`  ${peerProfile} is typing…`);
    if (t.action === 'started') typingShown.add(key);
    else if (typingShown.delete(key)) print(`  (${peerProfile} stopped typing)`);
  });
  // Keystrokes (readline emits keypress events on a TTY): typing started while the line is not empty, stopped on Enter or when cleared.
  process.stdin.on('keypress', (_char: string | undefined, key: { name?: string } | undefined) => {
    const to = peer();
    if (to === undefined) return;
    // After readline applied the key: Enter sent the line, an empty line means nothing is being typed.
    setImmediate(() => {
      const done = key?.name === 'return' || key?.name === 'enter' || currentLine().trim() === '';
      void client.typing(to, done ? 'stopped' : 'started').catch(() => false);
    });
  });
  return { sent: (ref, text) => texts.set(ref.timestamp, text) };
}
