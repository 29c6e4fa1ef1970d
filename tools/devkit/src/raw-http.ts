/**
 * Raw HTTP for tests of what a service answers to bytes no HTTP client
 * would send (garbage request lines, oversized headers, bad lengths).
 */
import { connect } from 'node:net';

/** Writes `request` as is to the server at `baseUrl` and resolves with everything it answers before the connection closes. */
export function rawHttpRequest(baseUrl: string, request: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let out = '';
    socket.on('data', (d) => (out += d.toString()));
    socket.on('close', () => resolve(out));
    socket.on('error', () => resolve(out));
    socket.write(request);
  });
}
