// First: it sets what @oclif/core reads from the environment when it is evaluated.
import './src/cli/oclif-environment.ts';
import { type Command, type Interfaces, Plugin, flush, handle, run as runOclif } from '@oclif/core';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pjson from './package.json' with { type: 'json' };
import { commands } from './commands/index.ts';
import { commandIdOf, unknownCommandMessage } from './src/cli/command-names.ts';
import { listenForForwardedSignals } from './src/cli/signals.ts';
import { sizeThreadPool } from './src/cli/thread-pool.ts';

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
async function loadOptions(root: string, argv: readonly string[]): Promise<Interfaces.LoadOptions> {
  const plugin = new Plugin({ root, pjson: pjson as never, isRoot: true, ignoreManifest: true });
  (plugin as unknown as { commandCache: unknown }).commandCache = await commandTable(argv);
  await plugin.load();
  return { root, pjson: pjson as never, plugins: new Map([[plugin.name, plugin]]) };
}

/** Commands that list or describe the others need them all. */
const NEEDS_ALL_COMMANDS = new Set(['help', 'completion']);
/** oclif's version flag plus package.json's oclif.additionalVersionFlags. */
const VERSION_FLAGS = new Set(['--version', ...((pjson as { oclif?: { additionalVersionFlags?: string[] } }).oclif?.additionalVersionFlags ?? [])]);

/**
 * The commands oclif is given: only the one argv runs, so a command's start-up does not pay for the
 * other forty (oclif caches flags and help for every command it knows); none for `--version`; all of
 * them when argv names none (`kstream`, `kstream topics`, `--help`) or asks for help about them.
 */
async function commandTable(argv: readonly string[]): Promise<Record<string, Command.Class>> {
  const ids = Object.keys(commands);
  const id = commandIdOf(argv, ids);
  // `--version` (oclif prints it before looking at any command) needs none.
  if (id === undefined && VERSION_FLAGS.has(argv[0] ?? '')) return {};
  const wanted = id === undefined || NEEDS_ALL_COMMANDS.has(id) ? ids : [id];
  const loaded = await Promise.all(wanted.map(async (w) => [w, await commands[w]!()] as const));
  return Object.fromEntries(loaded);
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
  // First, before anything starts libuv's thread pool (it is sized once, at its first use).
  sizeThreadPool(commandIdOf(argv, Object.keys(commands)));
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
    await runOclif(argv, await loadOptions(root, argv));
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
