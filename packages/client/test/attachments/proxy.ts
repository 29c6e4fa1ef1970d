/** A loopback TCP proxy that cuts chosen connections after a number of bytes (to break uploads and downloads mid-way). */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface CuttingProxy {
  url: string;
  /** Cut the next connection after this many bytes in `direction` (then pass later connections through). */
  cutNext(bytes: number, direction: 'up' | 'down'): void;
  cuts: number;
  close(): Promise<void>;
}

export async function cuttingProxy(targetPort: number): Promise<CuttingProxy> {
  let plan: { bytes: number; direction: 'up' | 'down' } | undefined;
  const sockets = new Set<Socket>();
  const state = { cuts: 0 };
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const mine = plan;
    plan = undefined;
    let count = 0;
    const cut = () => {
      state.cuts++;
      client.destroy();
      upstream.destroy();
    };
    const relay = (from: Socket, to: Socket, dir: 'up' | 'down') =>
      from.on('data', (d: Buffer) => {
        if (mine !== undefined && mine.direction === dir) {
          if (count + d.length >= mine.bytes) {
            to.write(d.subarray(0, Math.max(0, mine.bytes - count)));
            count = mine.bytes;
            cut();
            return;
          }
          count += d.length;
        }
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
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
