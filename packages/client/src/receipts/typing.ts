/**
 * Typing indicators. Sending (`TypingSender`): best-effort and never stored
 * — not in the history, and a send the relay did not take is dropped, not
 * left in the outbox (`ephemeral` sends). The relay has no online-only send,
 * so a typing envelope to an offline device is queued like any other; the
 * receiver ignores one older than `expiryMs` (its sender timestamp), which
 * is the TTL. Rate-limited per conversation: a STARTED while already typing
 * is sent again only once `startedIntervalMs` (default 3 s) passed since the
 * last one (repeats coalesced; the refresh keeps receivers from expiring
 * it); a STOPPED is sent only after a STARTED (and always then). Groups: the
 * indicator goes 1:1 to every other member account with the group id in
 * `Typing.group_id` (no sender-key message, no group history).
 *
 * Receiving (`TypingTracker`): a STARTED counts for `expiryMs` (default
 * 15 s) unless refreshed; a STOPPED ends it. `typingNow(conversation)` lists
 * who is typing now.
 */
import { fromHex } from '@sealpost/protocol/primitives';
import { encodeContent } from '../content.ts';
import { ClientError, isNetworkError } from '../errors.ts';
import { GroupError } from '../groups/errors.ts';
import { memberOf } from '../groups/group-change.ts';
import { currentChange } from '../groups/membership.ts';
import { groupOfPeer } from '../groups/types.ts';
import { addressKey, type ClientStore, type DeviceAddress, type RegisteredAccount } from '../store/types.ts';
import type { TypingAction } from './typing-codec.ts';

/** Default: a repeated STARTED in one conversation goes out at most this often, ms. */
export const DEFAULT_TYPING_STARTED_INTERVAL_MS = 3000;
/** Default: a received STARTED is stale this long after it was sent / received without a refresh, ms. */
export const DEFAULT_TYPING_EXPIRY_MS = 15_000;

/** A typing indicator received (the `typing` event). */
export interface TypingEvent {
  /** The conversation: the sender's account, or `group:<id>`. */
  conversation: string;
  /** The group (hex id), for a group. */
  group?: string;
  from: DeviceAddress;
  action: TypingAction;
  /** The sender's timestamp, ms. */
  timestamp: number;
  /** For STARTED: when to treat it as stopped unless another STARTED comes (local clock, ms). */
  expiresAt?: number;
}

/** What the typing sender works with. */
export interface TypingSenderDeps {
  store: ClientStore;
  now: () => number;
  own: () => RegisteredAccount;
  /** An ephemeral 1:1 send to every device of `account` (dropped, not kept in the outbox, when the relay does not take it). */
  sendEphemeral: (account: string, plaintext: Uint8Array, timestamp: number) => Promise<unknown>;
  startedIntervalMs: number;
  onError: (error: unknown) => void;
}

/** Sends typing indicators, rate-limited per conversation. */
export class TypingSender {
  /** Conversation → when the last STARTED went out (present while "typing"). */
  readonly #typing = new Map<string, number>();

  constructor(private readonly d: TypingSenderDeps) {}

  /**
   * Tells `conversation` (an account id or `group:<id>`) that the user
   * started / stopped typing. Resolves true when an indicator was handed to
   * the relay, false when it was coalesced (rate limit), not needed (a
   * STOPPED without a STARTED) or dropped (relay unreachable).
   */
  async send(conversation: string, action: TypingAction): Promise<boolean> {
    if (action !== 'started' && action !== 'stopped') throw new ClientError('INVALID_DATA', `typing action must be 'started' or 'stopped'`);
    const now = this.d.now();
    const last = this.#typing.get(conversation);
    if (action === 'started') {
      if (last !== undefined && now - last < this.d.startedIntervalMs) return false;
      this.#typing.set(conversation, now);
    } else {
      if (last === undefined) return false;
      this.#typing.delete(conversation);
    }
    const groupId = groupOfPeer(conversation);
    const recipients = groupId === undefined ? [conversation] : await this.#members(groupId);
    const plaintext = encodeContent({ timestamp: now, typing: { action, timestamp: now, ...(groupId === undefined ? {} : { groupId: fromHex(groupId) }) } });
    let sent = false;
    for (const account of recipients) {
      try {
        await this.d.sendEphemeral(account, plaintext, now);
        sent = true;
      } catch (error) {
        if (isNetworkError(error)) continue; // best-effort: dropped
        if (groupId === undefined) throw error;
        this.d.onError(error); // one member we cannot reach must not stop the others
      }
    }
    return sent;
  }

  /** The other member accounts of a group this device is a member of. */
  async #members(groupId: string): Promise<string[]> {
    const own = this.d.own().account;
    const group = await this.d.store.groups.get(groupId);
    if (group === undefined) throw new GroupError('GROUP_UNKNOWN', groupId, 'unknown group');
    const state = currentChange(group).state;
    if (memberOf(state, own) === undefined) throw new GroupError('GROUP_NOT_MEMBER', groupId, 'this account is not a member of the group');
    return state.members.map((m) => m.account).filter((a) => a !== own);
  }
}

/** Who is typing where, from received indicators (memory only). */
export class TypingTracker {
  /** Conversation → device key → (device, expiry). */
  readonly #typing = new Map<string, Map<string, { from: DeviceAddress; expiresAt: number }>>();

  constructor(private readonly expiryMs: number) {}

  /** Applies a received indicator; returns its event, or undefined when it is stale (older than the expiry). */
  apply(conversation: string, from: DeviceAddress, action: TypingAction, timestamp: number, now: number): TypingEvent | undefined {
    if (now - timestamp > this.expiryMs) return undefined;
    const group = groupOfPeer(conversation);
    const event: TypingEvent = { conversation, from: { account: from.account, device: from.device }, action, timestamp };
    if (group !== undefined) event.group = group;
    let devices = this.#typing.get(conversation);
    if (action === 'started') {
      if (devices === undefined) this.#typing.set(conversation, (devices = new Map()));
      event.expiresAt = now + this.expiryMs;
      devices.set(addressKey(from), { from: event.from, expiresAt: event.expiresAt });
    } else {
      devices?.delete(addressKey(from));
      if (devices?.size === 0) this.#typing.delete(conversation);
    }
    return event;
  }

  /** The devices typing in `conversation` at `now` (STARTED, not stopped, not expired). */
  typingNow(conversation: string, now: number): DeviceAddress[] {
    const devices = this.#typing.get(conversation);
    if (devices === undefined) return [];
    const out: DeviceAddress[] = [];
    for (const [key, t] of devices) {
      if (t.expiresAt > now) out.push({ ...t.from });
      else devices.delete(key);
    }
    if (devices.size === 0) this.#typing.delete(conversation);
    return out;
  }
}
