/**
 * The per-call work meter of the decrypt flow (issue 11 item 17): the
 * session layer opens a budget for one decrypt call (`withWorkBudget`), and
 * every costly step charges its exact cost *before* doing it
 * (`chargeWork`): Double Ratchet chain steps, DH ratchet steps, SPQR chain
 * steps, archived-state decodes. A charge beyond what is left throws
 * TooFarInFutureError, so the work is refused instead of done. Outside a
 * budget (hazmat callers) charges are free. Synchronous code only, so one
 * module-level meter is exact.
 */
import { TooFarInFutureError } from '../errors.ts';

let remaining = Infinity;

/** Charges `units` of work, or throws TooFarInFutureError when the open budget cannot pay them. */
export function chargeWork(units: number, what: string): void {
  if (units > remaining) {
    throw new TooFarInFutureError(`decrypt work budget exhausted (${what} needs ${units} units, ${Math.floor(remaining)} left)`);
  }
  remaining -= units;
}

/** Units left in the open budget (Infinity outside one). */
export function workRemaining(): number {
  return remaining;
}

/** Runs `f` with a fresh budget of `units`; the previous budget is restored afterwards. */
export function withWorkBudget<T>(units: number, f: () => T): T {
  const saved = remaining;
  remaining = units;
  try {
    return f();
  } finally {
    remaining = saved;
  }
}

// ---- the cost model, in units of about one Double Ratchet chain step (an HMAC-SHA256 of 32 bytes) ----

/**
 * Units the archived states of a record may cost one decrypt call, all of
 * them together (tried cheapest first). The current state is not metered:
 * it may take what libsignal allows it — a Double Ratchet walk of
 * MAX_FORWARD_JUMPS and an SPQR walk of SPQR's jump limit — so every
 * message libsignal accepts on the current state still decrypts. The
 * archived states together may add about half a Double Ratchet walk
 * (~1.9 µs CPU per unit on this 2-core machine): enough for an archived
 * state to take a message ~11,900 ahead (~3,000 with SPQR walking too),
 * which keeps the worst case per call under 250 ms;
 * docs/hardening/protocol.md has the measured worst cases.
 */
export const ARCHIVED_WORK_BUDGET = 12_000;
/** One DH ratchet step (a key pair and two X25519 agreements). */
export const DH_RATCHET_UNITS = 150;
/** One SPQR chain step (an HKDF-SHA256, two HMACs: measured ~2.7x a Double Ratchet step). */
export const SPQR_STEP_UNITS = 3;
/** Bytes of archived state decoded per unit (a 400 KB state: ~15 ms). */
export const DECODE_BYTES_PER_UNIT = 40;
/** Bytes of message MACed per unit. */
export const MAC_BYTES_PER_UNIT = 500;
/** Fixed units per try (SPQR state decode and encode, key expansion). */
export const TRY_FIXED_UNITS = 100;
