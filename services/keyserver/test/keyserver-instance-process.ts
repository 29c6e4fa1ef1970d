/**
 * Helper process for multi-instance.test.ts and kt-multi-instance.test.ts:
 * one key-server instance (the real app, `buildKeyServer`) on the
 * PostgreSQL database argv[2], with the settings given as JSON in argv[3]
 * and, optionally, key-transparency settings as JSON in argv[4] (keys in
 * base64), listening on 127.0.0.1 (random port). Prints "listening <port>"
 * once it accepts connections and, with KT, "leading true|false" whenever
 * this instance starts or stops sequencing; SIGTERM closes it.
 */
import { exitOnSignals } from '@sealpost/service-kit';
import { fromBase64 } from '@sealpost/protocol/primitives';
import { buildKeyServer } from '../src/index.ts';

const [databaseUrl, settingsJson, ktJson] = process.argv.slice(2) as [string, string, string | undefined];
const kt = ktJson === undefined ? undefined : (JSON.parse(ktJson) as Record<string, unknown> & { vrfSecretKey: string; logNoteKey: string; origin: string });
const app = await buildKeyServer({
  databaseUrl,
  docs: false,
  settings: JSON.parse(settingsJson),
  ...(kt === undefined ? {} : { keyTransparency: { ...kt, vrfSecretKey: fromBase64(kt.vrfSecretKey), logNoteKey: fromBase64(kt.logNoteKey) } }),
});
exitOnSignals(app);
await app.listen({ host: '127.0.0.1', port: 0, backlog: 2048 });
process.stdout.write(`listening ${(app.server.address() as { port: number }).port}\n`);
const log = app.keyserver.keyTransparency;
if (log !== undefined) {
  let leading: boolean | undefined;
  const report = () => {
    if (log.leading === leading) return;
    leading = log.leading;
    process.stdout.write(`leading ${leading}\n`);
  };
  report();
  setInterval(report, 20).unref();
}
