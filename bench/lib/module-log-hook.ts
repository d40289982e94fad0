/**
 * A `--import` hook that records every ES module the process loads and, at exit, writes their URLs
 * (one a line, in load order) to the file named by KSTREAM_MODULE_LOG. bench/startup.ts (`--modules`)
 * and test/broker/lazy-handlers.test.ts use it to see what `kstream serve` imports before it is ready:
 *
 *   KSTREAM_MODULE_LOG=/tmp/m.txt node --import ./bench/lib/module-log-hook.ts bin/kstream serve
 *
 * `module.registerHooks` runs in the loading thread (no worker), so the log is complete at exit and
 * the hook adds nothing measurable to a start.
 */
import { writeFileSync } from 'node:fs';
import module from 'node:module';

const target = process.env.KSTREAM_MODULE_LOG;
if (target) {
  const loaded: string[] = [];
  module.registerHooks({
    load(url, context, nextLoad) {
      loaded.push(url);
      return nextLoad(url, context);
    },
  });
  // A signal-stopped broker exits through process.exit (src/cli/signals.ts), which runs 'exit' listeners.
  process.on('exit', () => writeFileSync(target, loaded.length > 0 ? `${loaded.join('\n')}\n` : ''));
}
