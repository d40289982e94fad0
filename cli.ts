import { type Interfaces, Plugin, flush, handle, run as runOclif } from '@oclif/core';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pjson from './package.json' with { type: 'json' };
import { commands } from './commands/index.ts';
import { unknownCommandMessage } from './src/cli/command-names.ts';
import { listenForForwardedSignals } from './src/cli/signals.ts';

/**
 * The `kstream` entry point, used by bin/kstream (compiled, dist/cli.js), bin/dev (these sources) and
 * the single-executable build (scripts/build-binary/entry.ts). It lives beside commands/ because it
 * wires the command table into oclif; src/cli/ holds the machinery the commands use and never imports
 * commands/.
 *
 * oclif gets our command table and package.json instead of discovering them on disk. That keeps
 * start-up to the modules of the command being run, and is the only way oclif can work inside a
 * single-executable binary, where nothing of the package exists as files.
 */
async function loadOptions(root: string): Promise<Interfaces.LoadOptions> {
  const plugin = new Plugin({ root, pjson: pjson as never, isRoot: true, ignoreManifest: true });
  (plugin as unknown as { commandCache: unknown }).commandCache = commands;
  await plugin.load();
  return { root, pjson: pjson as never, plugins: new Map([[plugin.name, plugin]]) };
}

/** The package root: this file's directory in the source tree, its parent in dist/. */
function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return basename(here) === 'dist' ? join(here, '..') : here;
}

/**
 * `root` is only a label for oclif here (nothing is read from it); the single-executable build passes the
 * executable's directory because its bundle has no import.meta.url and no package on disk.
 */
export async function run(argv: string[], root: string = packageRoot()): Promise<void> {
  // Started by bin/kstream's hand-over from an older Node: signals sent to the parent alone arrive
  // as messages, and must not count twice when the whole process group got them too.
  listenForForwardedSignals();
  const unknown = unknownCommandMessage(argv, Object.keys(commands));
  if (unknown !== undefined) {
    process.stderr.write(`error: ${unknown}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    // oclif's run() builds its Config from these options; given a ready Config it would load it all again.
    await runOclif(argv, await loadOptions(root));
    flush();
  } catch (error) {
    if (argv.includes('--debug')) await handle(error as Error);
    else {
      // Whatever escaped a command's own catch: still one line, no stack without --debug.
      process.stderr.write(`error: ${(error as Error).message.split('\n')[0]}\n`);
      process.exitCode = (error as { oclif?: { exit?: number } }).oclif?.exit ?? 1;
    }
  }
}
