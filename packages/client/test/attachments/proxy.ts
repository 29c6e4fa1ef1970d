/** A loopback TCP proxy that cuts chosen connections after a number of bytes (to break uploads and downloads mid-way). */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface CuttingProxy {
  url: string;
  /** Cut the next connection after this many bytes in `direction` (then pass later connections through). */
  cutNext(bytes: number, direction: 'up' | 'down'): void;
  cuts: number;
  /** Bytes passed from the service to the client so far (all connections). */
  bytesDown: number;
  /** `Range` header values of the requests seen so far, in order ('' for a request without one). */
  ranges: string[];
  close(): Promise<void>;
}

export async function cuttingProxy(targetPort: number): Promise<CuttingProxy> {
  let plan: { bytes: number; direction: 'up' | 'down' } | undefined;
  const sockets = new Set<Socket>();
  const state = { cuts: 0, bytesDown: 0, ranges: [] as string[] };
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const mine = plan;
    plan = undefined;
    let count = 0;
    let head = '';
    // Request heads are small (GETs here): scan them for the Range header of each request.
    const noteRequests = (d: Buffer) => {
      head += d.toString('latin1');
      let end: number;
      while ((end = head.indexOf('\r\n\r\n')) >= 0) {
        const lines = head.slice(0, end);
        head = head.slice(end + 4);
        if (!/^(GET|HEAD) /.test(lines)) continue;
        state.ranges.push(/\r\nrange: *([^\r]*)/i.exec(lines)?.[1] ?? '');
      }
      if (head.length > 65536) head = '';
    };
    const cut = () => {
      state.cuts++;
      client.destroy();
      upstream.destroy();
    };
    const relay = (from: Socket, to: Socket, dir: 'up' | 'down') =>
      from.on('data', (d: Buffer) => {
        if (dir === 'up') noteRequests(d);
        if (mine !== undefined && mine.direction === dir) {
          if (count + d.length >= mine.bytes) {
            to.write(d.subarray(0, Math.max(0, mine.bytes - count)));
            if (dir === 'down') state.bytesDown += Math.max(0, mine.bytes - count);
            count = mine.bytes;
            cut();
            return;
          }
          count += d.length;
        }
        if (dir === 'down') state.bytesDown += d.length;
        to.write(d);
      });
    relay(client, upstream, 'up');
    relay(upstream, client, 'down');
    for (const s of [client, upstream]) {
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(s);
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    cutNext(bytes, direction) {
      plan = { bytes, direction };
    },
    get cuts() {
      return state.cuts;
    },
    get bytesDown() {
      return state.bytesDown;
    },
    get ranges() {
      return state.ranges;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
