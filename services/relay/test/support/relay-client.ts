/**
 * A minimal relay client for tests and the benchmark: real HTTP (fetch) and
 * a real WebSocket, no shortcuts into the server.
 */
import WebSocket from 'ws';

/** A queued envelope as the relay hands it out. */
export interface ReceivedEnvelope {
  id: string;
  content: Uint8Array;
  receivedAt: number;
}

/** An HTTP answer: status and parsed JSON (or undefined). */
export interface Answer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

async function call<T>(url: string, init: RequestInit): Promise<Answer<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: (text.length > 0 ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

/** Talks to one relay at `baseUrl`. */
export class RelayClient {
  constructor(readonly baseUrl: string) {}

  /** Registers an account's unidentified-access key with a device credential. */
  setAccessKey(accountId: string, credential: string, accessKey: Uint8Array): Promise<Answer> {
    return call(`${this.baseUrl}/v1/accounts/${accountId}/access-key`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ accessKey: b64(accessKey) }),
    });
  }

  /** Sends one envelope per device, anonymously, with the recipient's access key. */
  send(
    accountId: string,
    accessKey: Uint8Array | string | undefined,
    messages: Array<{ deviceId: number; registrationId: number; content: Uint8Array | string }>,
  ): Promise<Answer<{ accepted?: number; error?: Record<string, unknown> }>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (accessKey !== undefined) headers['unidentified-access-key'] = typeof accessKey === 'string' ? accessKey : b64(accessKey);
    return call(`${this.baseUrl}/v1/messages/${accountId}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({
        messages: messages.map((m) => ({ deviceId: m.deviceId, registrationId: m.registrationId, content: typeof m.content === 'string' ? m.content : b64(m.content) })),
      }),
    });
  }

  /** Sends a sealed sender v2 SentMessage with one access key per recipient. */
  sendMulti(sentMessage: Uint8Array, accessKeys: Record<string, Uint8Array>): Promise<Answer<{ accepted?: number; error?: Record<string, unknown> }>> {
    return call(`${this.baseUrl}/v1/messages/multi_recipient`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sentMessage: b64(sentMessage), accessKeys: Object.fromEntries(Object.entries(accessKeys).map(([k, v]) => [k, b64(v)])) }),
    });
  }

  /** Polls a device's queue. */
  async poll(credential: string, limit?: number): Promise<Answer<{ messages: ReceivedEnvelope[]; more: boolean } & { error?: unknown }>> {
    const a = await call<{ messages?: Array<{ id: string; content: string; receivedAt: number }>; more: boolean }>(
      `${this.baseUrl}/v1/messages${limit === undefined ? '' : `?limit=${limit}`}`,
      { headers: { authorization: `Bearer ${credential}` } },
    );
    const messages = (a.body?.messages ?? []).map((m) => ({ id: m.id, receivedAt: m.receivedAt, content: new Uint8Array(Buffer.from(m.content, 'base64')) }));
    return { ...a, body: { ...(a.body as object), messages, more: a.body?.more ?? false } };
  }

  /** Acknowledges envelopes (deletes them). */
  ack(credential: string, ids: string[]): Promise<Answer<{ acknowledged: number }>> {
    return call(`${this.baseUrl}/v1/messages/acknowledge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ids }),
    });
  }

  /** Opens a WebSocket for a device. */
  connect(credential: string, options: { autoAck?: boolean } = {}): Promise<RelaySocket> {
    return RelaySocket.open(`${this.baseUrl.replace(/^http/, 'ws')}/v1/websocket`, credential, options.autoAck ?? true);
  }
}

/** A device's WebSocket: collects envelopes, optionally acknowledging each. */
export class RelaySocket {
  readonly received: ReceivedEnvelope[] = [];
  queueEmpty = false;
  private waiters: Array<() => void> = [];

  private constructor(
    readonly ws: WebSocket,
    private readonly autoAck: boolean,
  ) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; id?: string; content?: string; receivedAt?: number };
      if (frame.type === 'envelope') {
        this.received.push({ id: frame.id!, content: new Uint8Array(Buffer.from(frame.content!, 'base64')), receivedAt: frame.receivedAt! });
        if (this.autoAck) this.ack([frame.id!]);
      } else if (frame.type === 'queue-empty') {
        this.queueEmpty = true;
      }
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }

  static open(url: string, credential: string, autoAck: boolean): Promise<RelaySocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${credential}` } });
      const s = new RelaySocket(ws, autoAck);
      ws.once('open', () => resolve(s));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`websocket refused: ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  /** Acknowledges envelopes over the socket. */
  ack(ids: string[]): void {
    this.ws.send(JSON.stringify({ type: 'ack', ids }));
  }

  /** Resolves once `predicate` holds (checked after every frame), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting (have ${this.received.length} envelopes)`)), timeoutMs);
      const check = (): void => {
        if (predicate()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** The `ws` WebSocket class, re-exported for scripts outside this package (the benchmark). */
export { WebSocket };
