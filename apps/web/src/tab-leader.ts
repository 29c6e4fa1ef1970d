/**
 * Several tabs of one profile share one device (one store): only one of
 * them may hold the relay's WebSocket (the relay keeps one per device and
 * closes the older). The tab holding the Web Lock `sealpost-receiver:<account>`
 * receives; the others wait for the lock and hear about new messages over a
 * BroadcastChannel, then re-read the shared store.
 */

/** What tabs tell each other. */
export type TabNotice = { type: 'history-changed'; peer: string } | { type: 'contacts-changed' };

const CHANNEL = 'sealpost-tabs';

/** The page's side of the tab coordination. */
export class TabLeader {
  readonly #channel = new BroadcastChannel(CHANNEL);
  #release: (() => void) | undefined;

  constructor(onNotice: (notice: TabNotice) => void) {
    this.#channel.onmessage = (event: MessageEvent<TabNotice>) => onNotice(event.data);
  }

  /** Calls `lead` once this tab holds `account`'s receiver lock (at once when no other tab does); the lock goes with the tab. */
  campaign(account: string, lead: () => void): void {
    void navigator.locks.request(`sealpost-receiver:${account}`, () => {
      lead();
      return new Promise<void>((resolve) => (this.#release = resolve));
    });
  }

  /** Tells the other tabs. */
  notify(notice: TabNotice): void {
    this.#channel.postMessage(notice);
  }

  /** Gives up the lock and the channel. */
  close(): void {
    this.#release?.();
    this.#channel.close();
  }
}
