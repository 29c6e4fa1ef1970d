/**
 * Which of two disappearing-message timers a conversation ends up with.
 * Each change increments `version` (Signal's `expire_timer_version`), so
 * the higher version wins. Two changes made concurrently from the same
 * version tie; the tie is broken the same way on every device, whatever
 * order the two arrive in: the SHORTER timer wins, "off" (0) counting as
 * the longest — of two concurrent choices the more private one stands.
 *
 * A sender that does not count versions (an older client: version 0):
 * - its explicit change (`update`) is taken, as the next version after ours
 *   (the user did change it; our later messages then carry that version);
 * - the timer its ordinary messages carry is taken only while our own state
 *   is versionless too (both sides old: the last message wins, as legacy
 *   clients do); against a versioned state it is ignored.
 */
import type { ExpireTimerContent } from './timer-codec.ts';

/** A timer's value and version. */
export interface TimerValue {
  readonly seconds: number;
  readonly version: number;
}

const OFF: TimerValue = { seconds: 0, version: 0 };

/** Rank of a timer in a tie: shorter first, off last. */
const rank = (seconds: number): number => (seconds === 0 ? Number.POSITIVE_INFINITY : seconds);

/** The timer the conversation takes on when `incoming` arrives while it is at `current`; undefined: it keeps `current`. */
export function adoptTimer(current: TimerValue | undefined, incoming: ExpireTimerContent): TimerValue | undefined {
  const cur = current ?? OFF;
  if (incoming.version === 0) {
    if (incoming.update === true) return incoming.seconds === cur.seconds && current !== undefined ? undefined : { seconds: incoming.seconds, version: cur.version + 1 };
    return cur.version === 0 && incoming.seconds !== cur.seconds ? { seconds: incoming.seconds, version: 0 } : undefined;
  }
  if (incoming.version > cur.version) return { seconds: incoming.seconds, version: incoming.version };
  if (incoming.version === cur.version && rank(incoming.seconds) < rank(cur.seconds)) return { seconds: incoming.seconds, version: incoming.version };
  return undefined;
}
