/**
 * The disappearing-messages part of a `Content` (proto/content.proto fields
 * 18–20): the conversation's timer as the sender knows it, carried in every
 * chat message, and the flag on the message that changes it.
 */
import { ClientError } from '../errors.ts';
import type { Content } from '../gen/content_pb.ts';

/** The timer a message carries. */
export interface ExpireTimerContent {
  /** Seconds after reading (received) / sending (sent) that a message is deleted; 0 = off. */
  seconds: number;
  /** How many times the conversation's timer was changed (0: a client that does not count). */
  version: number;
  /** True on the message that changes the timer (a visible timer-change event, not a chat message). */
  update?: true;
}

/** Longest timer: what a uint32 of seconds holds (Signal caps its UI at 4 weeks; the wire allows more). */
export const MAX_EXPIRE_TIMER_SECONDS = 0xffffffff;

function checkUint32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new ClientError('INVALID_DATA', `${name} must be an integer in 0..2^32-1, got ${v}`);
  return v;
}

/** Writes `timer` into the protobuf message `m` (throws `INVALID_DATA` for values out of range). */
export function expireTimerToProto(timer: ExpireTimerContent, m: Pick<Content, 'expireTimer' | 'expireTimerVersion' | 'expireTimerUpdate'>): void {
  m.expireTimer = checkUint32('expireTimer.seconds', timer.seconds);
  m.expireTimerVersion = checkUint32('expireTimer.version', timer.version);
  if (timer.update === true) m.expireTimerUpdate = true;
}

/** The timer a decoded `Content` carries, or undefined when it carries none (all three fields unset). */
export function expireTimerFromProto(m: Pick<Content, 'expireTimer' | 'expireTimerVersion' | 'expireTimerUpdate'>): ExpireTimerContent | undefined {
  if (m.expireTimer === 0 && m.expireTimerVersion === 0 && !m.expireTimerUpdate) return undefined;
  const out: ExpireTimerContent = { seconds: m.expireTimer, version: m.expireTimerVersion };
  if (m.expireTimerUpdate) out.update = true;
  return out;
}
