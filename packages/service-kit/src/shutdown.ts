/**
 * Graceful exit of a service's `main`: on the first SIGINT or SIGTERM, log
 * it, start draining (`app.runtime.startDraining()` when the app has the
 * kit runtime: /ready → 503, `Connection: close` on every response), keep
 * serving for `delayMs` (so a load balancer sees /ready fail first), then
 * close the app (the listener stops accepting, in-flight requests finish,
 * WebSockets are closed by the service's preClose, onClose hooks flush and
 * close the stores), run `afterClose`, flush the log stream and exit 0 — or
 * 1 if closing failed or, when `forceAfterMs` is set, took longer than that.
 */
export interface ClosableService {
  close(): Promise<unknown>;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
  runtime?: { startDraining(): void };
}

export interface ExitOnSignalsOptions {
  /** Flushes an asynchronous log destination before the process exits. */
  flush?: () => void;
  /** Exit 1 if closing has not finished after this long (default: wait). */
  forceAfterMs?: number;
  /** How long to keep serving (draining) before the listener closes, ms (default 0). */
  delayMs?: number;
  /** Runs after the app closed, before the exit (e.g. closing the metrics listener). */
  afterClose?: () => Promise<void>;
}

export function exitOnSignals(app: ClosableService, options: ExitOnSignalsOptions = {}): void {
  const flush = options.flush ?? (() => {});
  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    app.runtime?.startDraining();
    if (options.forceAfterMs !== undefined) {
      setTimeout(() => {
        app.log.error({ forceAfterMs: options.forceAfterMs }, 'shutdown took too long: exiting');
        flush();
        process.exit(1);
      }, options.forceAfterMs).unref();
    }
    const delay = new Promise<void>((resolve) => setTimeout(resolve, options.delayMs ?? 0));
    delay
      .then(() => app.close())
      .then(() => options.afterClose?.())
      .then(
        () => {
          app.log.info({}, 'shut down');
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
