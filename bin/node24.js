// Shared by bin/kstream and bin/dev: kstream needs Node 24 (zstd, getBuiltinModule). Started by an
// older Node (the machine's may be 20), the script re-runs itself on the Node 24 that npm installed
// with the project, so `bin/kstream` works from any shell, not only npm scripts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/**
 * Returns false when this Node is new enough (run the CLI here); otherwise starts the child and returns
 * true (this process then only relays signals and the exit status).
 *
 * Signals: a terminal's Ctrl-C, `kill -TERM -<pgid>`, systemd and `timeout` signal the whole process
 * group, so the child gets those itself; `kill <pid>` and Docker signal this process alone. The parent
 * cannot tell the two apart, so it never re-sends the signal (the child would see it twice and take
 * the second as "again: exit now"): it tells the child over the IPC channel instead, and the child
 * (src/cli/signals.ts) counts a signal once whether it came directly, as a message, or both.
 */
export function handOverToNode24(scriptUrl) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 24) return false;
  const node24 = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(node24)) {
    console.error(`kstream needs Node.js 24 or newer (this is ${process.version}); run \`npm install\` in the project, or use the standalone binary`);
    process.exit(1);
  }
  const child = spawn(node24, [fileURLToPath(scriptUrl), ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  const counts = { SIGINT: 0, SIGTERM: 0, SIGHUP: 0 };
  for (const signal of Object.keys(counts)) {
    process.on(signal, () => {
      counts[signal]++;
      if (child.connected) child.send({ kstreamSignal: signal, count: counts[signal] }, () => {});
    });
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
  return true;
}
