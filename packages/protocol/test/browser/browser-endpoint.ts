/**
 * A `SessionEndpoint` whose device lives in a Chromium page (see
 * fixtures/endpoint-page.ts): every call runs our protocol core there, with
 * the web primitives; Node only carries the bytes.
 */
import type { Page } from '@sealpost/devkit/browser-page';
import type { EndpointId, SessionEndpoint } from '@sealpost/devkit/ours';
import type { RawPreKeyBundle, WireMessage } from '@sealpost/devkit/libsignal';

/** An error thrown inside the page, with the page endpoint's classification. */
export class PageError extends Error {
  constructor(
    name: string,
    message: string,
    readonly duplicate: boolean,
    readonly noSession: boolean,
  ) {
    super(`${name} (in the page): ${message}`);
  }
}

export class BrowserEndpoint implements SessionEndpoint {
  readonly implementation = 'ours-in-chromium';

  private constructor(
    private readonly page: Page,
    readonly id: EndpointId,
  ) {}

  static async create(page: Page, name: string, registrationId: number): Promise<BrowserEndpoint> {
    const id = await page.evaluate(([n, r]) => window.sealpostEndpoints.create(n, r), [name, registrationId] as const);
    return new BrowserEndpoint(page, id);
  }

  async #call<T>(method: string, ...args: unknown[]): Promise<T> {
    const r = await this.page.evaluate(([name, m, a]) => window.sealpostEndpoints.call(name, m, a), [this.id.name, method, args] as const);
    if (!r.ok) throw new PageError(r.name, r.message, r.duplicate, r.noSession);
    return r.value as T;
  }

  bundle(options: { withOneTimePreKey: boolean }): Promise<RawPreKeyBundle> {
    return this.#call('bundle', options);
  }
  startSession(remote: EndpointId, bundle: RawPreKeyBundle): Promise<void> {
    return this.#call('startSession', remote, bundle);
  }
  encrypt(remote: EndpointId, plaintext: Uint8Array): Promise<WireMessage> {
    return this.#call('encrypt', remote, plaintext);
  }
  decrypt(remote: EndpointId, message: WireMessage): Promise<Uint8Array> {
    return this.#call('decrypt', remote, message);
  }
  hasSession(remote: EndpointId): Promise<boolean> {
    return this.#call('hasSession', remote);
  }
  resetSession(remote: EndpointId): Promise<void> {
    return this.#call('resetSession', remote);
  }
  isDuplicateError(error: unknown): boolean {
    return error instanceof PageError && error.duplicate;
  }
  isNoSessionError(error: unknown): boolean {
    return error instanceof PageError && error.noSession;
  }
}
