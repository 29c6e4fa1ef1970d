/**
 * Builds the page with Vite and serves the bundle with Vite's preview
 * server on 127.0.0.1 (a secure context, so WebCrypto is there), plus
 * `/config.json` (page-config.ts). Used by `pnpm run web` (scripts/web.ts)
 * and the browser tests; the page's origin is known once it listens, which
 * is what the services' `corsOrigins` must list.
 */
import { fileURLToPath } from 'node:url';
import { build, preview, type Plugin, type PreviewServer } from 'vite';
import { PAGE_CONFIG_PATH, type PageConfig } from './page-config.ts';

/** The app's directory (where index.html and vite.config.ts are). */
export const WEB_APP_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Builds the bundle into `outDir` (quietly unless `log`). */
export async function buildWebApp(outDir: string, options: { log?: boolean } = {}): Promise<void> {
  await build({ root: WEB_APP_ROOT, logLevel: options.log === true ? 'info' : 'warn', build: { outDir, emptyOutDir: true } });
}

/** A running page server. */
export interface WebServer {
  /** The page's URL, e.g. `http://127.0.0.1:41234/`. */
  url: string;
  /** Its origin (what the services must allow). */
  origin: string;
  /** Sets what `/config.json` answers (503 until set). */
  setConfig(config: PageConfig): void;
  close(): Promise<void>;
}

function configPlugin(current: () => PageConfig | undefined): Plugin {
  return {
    name: 'sealpost-page-config',
    configurePreviewServer(server) {
      server.middlewares.use(PAGE_CONFIG_PATH, (_req, res) => {
        const config = current();
        res.setHeader('cache-control', 'no-store');
        res.setHeader('content-type', 'application/json');
        res.statusCode = config === undefined ? 503 : 200;
        res.end(JSON.stringify(config ?? { error: { code: 'NOT_READY', message: 'services are starting' } }));
      });
    },
  };
}

/** Serves a bundle built by `buildWebApp` on 127.0.0.1 (`port` 0: any free port). */
export async function serveWebApp(outDir: string, options: { port?: number } = {}): Promise<WebServer> {
  let config: PageConfig | undefined;
  const server: PreviewServer = await preview({
    root: WEB_APP_ROOT,
    configFile: false,
    logLevel: 'warn',
    plugins: [configPlugin(() => config)],
    build: { outDir },
    preview: { host: '127.0.0.1', port: options.port ?? 0, strictPort: true, open: false },
  });
  const address = server.httpServer.address();
  if (address === null || typeof address === 'string') throw new Error('the page server has no TCP address');
  const origin = `http://127.0.0.1:${address.port}`;
  return {
    url: `${origin}/`,
    origin,
    setConfig: (c) => (config = c),
    close: () => server.close(),
  };
}
