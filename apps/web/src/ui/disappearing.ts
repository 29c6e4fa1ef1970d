/**
 * Disappearing messages in the web chat: the timer control in the
 * conversation header, the "disappearing messages set to 1 minute by Bob"
 * line a timer change shows as, and the hourglass countdown on messages
 * whose timer runs. The client deletes expired messages itself (its sweeper
 * timer) and emits `messagesExpired`; the page then re-renders.
 */
import type { SealpostClient } from '@sealpost/client/browser';
import type { ChatEntry } from '../conversation.ts';
import { h } from './dom.ts';

/** The choices the control offers, seconds (0 = off). */
export const TIMER_CHOICES = [0, 30, 60, 300, 3600, 86_400, 604_800] as const;

/** "30 seconds", "1 minute", "off", … */
export function formatTimer(seconds: number): string {
  if (seconds === 0) return 'off';
  const units: [number, string][] = [[604_800, 'week'], [86_400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  for (const [size, name] of units) if (seconds % size === 0) return `${seconds / size} ${name}${seconds / size === 1 ? '' : 's'}`;
  return `${seconds} seconds`;
}

/** A short remaining time for the hourglass: "45s", "4m", "2h", "3d". */
export function formatRemaining(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.ceil(s / 60)}m`;
  if (s < 86_400) return `${Math.ceil(s / 3600)}h`;
  return `${Math.ceil(s / 86_400)}d`;
}

/** Entries with the deletion time of each message whose countdown runs (the model side, for ChatSession). */
export async function withExpiry(client: SealpostClient, entries: ChatEntry[]): Promise<ChatEntry[]> {
  for (const e of entries) {
    const at = await client.disappearing.expiresAt(e.id);
    if (at !== undefined) e.expiresAt = at;
  }
  return entries;
}

/** Calls `changed` whenever a conversation's timer changes or messages expired. */
export function watchDisappearing(client: SealpostClient, changed: () => void): void {
  client.on('disappearingTimer', changed);
  client.on('messagesExpired', changed);
}

/** The header control: the conversation's timer, and a choice that sets it. */
export function timerControl(onPick: (seconds: number) => void): { element: HTMLSelectElement; show(seconds: number): void } {
  const element = h(
    'select',
    { 'data-testid': 'disappearing-timer', title: 'Disappearing messages', class: 'disappearing-timer', onchange: () => onPick(Number(element.value)) },
    ...TIMER_CHOICES.map((s) => h('option', { value: s }, s === 0 ? '⏳ Off' : `⏳ ${formatTimer(s)}`)),
  );
  return {
    element,
    show(seconds) {
      if (!TIMER_CHOICES.includes(seconds as (typeof TIMER_CHOICES)[number]) && ![...element.options].some((o) => o.value === String(seconds))) {
        element.append(h('option', { value: seconds }, `⏳ ${formatTimer(seconds)}`));
      }
      element.value = String(seconds);
    },
  };
}

/** The line a timer change shows as: "Disappearing messages set to 1 minute by Bob". */
export function timerChangeLine(seconds: number, by: string): HTMLElement {
  const text = seconds === 0 ? `Disappearing messages turned off by ${by}` : `Disappearing messages set to ${formatTimer(seconds)} by ${by}`;
  return h('li', { class: 'timer-change', 'data-testid': 'timer-change', 'data-seconds': seconds }, text);
}

/** The hourglass on a message whose countdown runs (kept current by `tickCountdowns`). */
export function hourglass(expiresAt: number | undefined): HTMLElement | undefined {
  if (expiresAt === undefined) return undefined;
  return h('span', { class: 'hourglass', 'data-testid': 'hourglass', 'data-expires-at': expiresAt, title: `Disappears at ${new Date(expiresAt).toLocaleTimeString()}` }, `⏳ ${formatRemaining(expiresAt - Date.now())}`);
}

let ticking: ReturnType<typeof setInterval> | undefined;

/** Updates every hourglass under `root` once a second. */
export function tickCountdowns(root: HTMLElement): void {
  if (ticking !== undefined) return;
  ticking = setInterval(() => {
    for (const el of root.querySelectorAll<HTMLElement>('[data-expires-at]')) el.textContent = `⏳ ${formatRemaining(Number(el.dataset.expiresAt) - Date.now())}`;
  }, 1000);
}
