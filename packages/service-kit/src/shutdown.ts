/**
 * Graceful exit of a service's `main`: on the first SIGINT or SIGTERM, log
 * it, close the app (the listener stops accepting, in-flight requests
 * finish, onClose hooks run), flush the log stream, and exit 0 — or 1 if
 * closing failed or, when `forceAfterMs` is set, took longer than that.
 */
export interface ClosableService {
  close(): Promise<unknown>;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface ExitOnSignalsOptions {
  /** Flushes an asynchronous log destination before the process exits. */
  flush?: () => void;
  /** Exit 1 if closing has not finished after this long (default: wait). */
  forceAfterMs?: number;
}

export function exitOnSignals(app: ClosableService, options: ExitOnSignalsOptions = {}): void {
  const flush = options.flush ?? (() => {});
  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    if (options.forceAfterMs !== undefined) setTimeout(() => process.exit(1), options.forceAfterMs).unref();
    app.close().then(
      () => {
        flush();
        process.exit(0);
      },
      (err: unknown) => {
        app.log.error({ err: { message: (err as Error).message } }, 'error while closing');
        flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
