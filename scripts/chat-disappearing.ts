/**
 * Disappearing messages in the terminal chat (scripts/chat.ts): `/timer 30s`
 * (or 5m, 1h, 1d, 1w, off) sets the conversation's timer; timer changes and
 * deletions are printed; a received message counts as read once printed, so
 * its countdown starts then (the client's sweeper deletes it when due).
 */
import type { SealpostClient } from '@sealpost/client';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds of a `/timer` argument: `30s`, `5m`, `1h`, `1d`, `1w`, a plain number of seconds, or `off`. */
export function parseTimer(arg: string): number {
  const a = arg.trim().toLowerCase();
  if (a === 'off' || a === '0') return 0;
  const m = /^(\d+)\s*([smhdw]?)$/.exec(a);
  if (m === null) throw new Error('usage: /timer 30s | 5m | 1h | 1d | 1w | off');
  return Number(m[1]) * UNITS[m[2] || 's']!;
}

/** "30s", "5m", "off": how a timer is printed. */
export function formatTimer(seconds: number): string {
  if (seconds === 0) return 'off';
  for (const [unit, size] of Object.entries(UNITS).reverse()) if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

/** Prints timer changes and deletions. A received message's countdown starts when it is read: `/read` (chat-conversations.ts). */
export function watchDisappearing(client: SealpostClient, print: (line: string) => void, nameOf: (account: string) => string): void {
  client.on('disappearingTimer', (e) => print(`⏳ disappearing messages ${e.seconds === 0 ? 'turned off' : `set to ${formatTimer(e.seconds)}`} by ${nameOf(e.by)}`));
  client.on('messagesExpired', (e) => print(`⏳ ${e.ids.length} message(s) disappeared`));
}

/** The `/timer` command. */
export async function timerCommand(client: SealpostClient, to: string, arg: string): Promise<void> {
  await client.setDisappearingTimer(to, parseTimer(arg));
}
