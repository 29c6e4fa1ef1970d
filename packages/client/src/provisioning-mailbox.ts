/**
 * The new device's side of a relay provisioning mailbox: an unauthenticated
 * WebSocket on which the relay first names a fresh mailbox id and later
 * delivers the one provisioning envelope a primary device PUT to it. The
 * mailbox is single-use and expires on the relay; a socket that closes
 * before the envelope arrived ends the wait with `ClientError('LINK_FAILED')`.
 */
import { ClientError } from './errors.ts';
import { fromBase64 } from './encoding.ts';
import { loadDefaultWebSocket, type WebSocketConstructor, type WebSocketLike } from './receiver.ts';
import type { RelayClient } from './relay-client.ts';

/** An open mailbox. */
export interface ProvisioningMailbox {
  /** The relay's id for it (goes into the link URI). */
  readonly id: string;
  /** When the relay drops it, ms since the epoch. */
  readonly expiresAt: number;
  /** The delivered envelope; rejects with `LINK_FAILED` if the mailbox ends first. */
  message(): Promise<Uint8Array>;
  /** Gives the mailbox up. */
  close(): void;
}

/** Opens a mailbox on `relay`; resolves once the relay named it. */
export async function openProvisioningMailbox(relay: RelayClient, WebSocketImpl?: WebSocketConstructor): Promise<ProvisioningMailbox> {
  const Impl = WebSocketImpl ?? (await loadDefaultWebSocket());
  const socket: WebSocketLike = new Impl(relay.provisioningUrl(), { headers: {} });
  // Settling a settled promise is a no-op, so `fail` may reject both whatever happened before.
  let onAddress!: (a: { id: string; expiresAt: number }) => void;
  let onMessage!: (body: Uint8Array) => void;
  let rejectAddress!: (e: ClientError) => void;
  let rejectMessage!: (e: ClientError) => void;
  const address = new Promise<{ id: string; expiresAt: number }>((resolve, reject) => {
    onAddress = resolve;
    rejectAddress = reject;
  });
  const message = new Promise<Uint8Array>((resolve, reject) => {
    onMessage = resolve;
    rejectMessage = reject;
  });
  const fail = (e: ClientError): void => {
    rejectAddress(e);
    rejectMessage(e);
  };
  message.catch(() => {}); // surfaced by message()
  socket.addEventListener('message', (event) => {
    let frame: { type?: unknown; id?: unknown; expiresAt?: unknown; body?: unknown };
    try {
      frame = JSON.parse(String(event.data)) as typeof frame;
    } catch {
      fail(new ClientError('LINK_FAILED', 'the relay sent a provisioning frame that is not JSON'));
      socket.close();
      return;
    }
    if (frame?.type === 'address' && typeof frame.id === 'string' && typeof frame.expiresAt === 'number') onAddress({ id: frame.id, expiresAt: frame.expiresAt });
    else if (frame?.type === 'provision' && typeof frame.body === 'string') {
      try {
        onMessage(fromBase64('provisioning body', frame.body));
      } catch (e) {
        fail(new ClientError('LINK_FAILED', 'the relay delivered a provisioning body that is not base64', { cause: e }));
      }
    }
  });
  socket.addEventListener('error', (event) => fail(new ClientError('LINK_FAILED', `provisioning mailbox socket failed: ${event.message ?? 'error'}`, { cause: event.error })));
  socket.addEventListener('close', () => fail(new ClientError('LINK_FAILED', 'the provisioning mailbox closed before a provisioning message arrived (expired, or given up)')));
  const { id, expiresAt } = await address;
  return {
    id,
    expiresAt,
    message: () => message,
    close: () => {
      fail(new ClientError('LINK_FAILED', 'device linking was cancelled'));
      socket.close();
    },
  };
}
