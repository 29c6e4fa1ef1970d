/**
 * The timers of key transparency, on the platform's `setTimeout` (tests fake
 * it, as for the disappearing-messages sweeper): a repeating task every
 * interval, jittered so devices do not search in step (each delay is
 * between 90 % and 100 % of the interval, so a run always comes within one
 * interval), and one-shot background tasks after a random delay. Timers do
 * not keep a Node process alive.
 */

type Timer = ReturnType<typeof setTimeout>;

const unref = (t: Timer): Timer => {
  (t as { unref?: () => void }).unref?.();
  return t;
};

export class KtSchedule {
  #repeat: Timer | undefined;
  readonly #once = new Set<Timer>();
  #running = false;

  /** `onError` gets whatever a task throws (a store closed under it, a bug): a background task never rejects unhandled. */
  constructor(
    private readonly random: () => number = Math.random,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Runs `task` every `intervalMs` (jittered) until `stop()`; the first run after one delay. */
  repeat(intervalMs: number, task: () => Promise<void>): void {
    if (this.#repeat !== undefined) return;
    this.#running = true;
    const arm = () => {
      if (!this.#running) return;
      this.#repeat = unref(
        setTimeout(() => {
          void task().catch(this.onError).finally(arm);
        }, Math.round(intervalMs * (0.9 + 0.1 * this.random()))),
      );
    };
    arm();
  }

  /** Runs `task` once after a random delay of at most `maxDelayMs` (at once for 0). */
  later(maxDelayMs: number, task: () => Promise<void>): void {
    const t = unref(
      setTimeout(
        () => {
          this.#once.delete(t);
          void task().catch(this.onError);
        },
        Math.round(maxDelayMs * this.random()),
      ),
    );
    this.#once.add(t);
  }

  stop(): void {
    this.#running = false;
    if (this.#repeat !== undefined) clearTimeout(this.#repeat);
    this.#repeat = undefined;
    for (const t of this.#once) clearTimeout(t);
    this.#once.clear();
  }
}
