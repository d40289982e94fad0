import { Config, type Interfaces, Plugin, flush, handle, run as runOclif } from '@oclif/core';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pjson from '../../package.json' with { type: 'json' };
import { commands } from '../../commands/index.ts';

/**
 * Hands oclif our command table and package.json instead of letting it discover them on disk.
 * That keeps start-up to the modules of the command being run, and is the only way oclif can work
 * inside a single-executable binary, where nothing of the package exists as files.
 */
async function loadOptions(root: string): Promise<Interfaces.LoadOptions> {
  const plugin = new Plugin({ root, pjson: pjson as never, isRoot: true, ignoreManifest: true });
  (plugin as unknown as { commandCache: unknown }).commandCache = commands;
  await plugin.load();
  return { root, pjson: pjson as never, plugins: new Map([[plugin.name, plugin]]) };
}

export async function loadConfig(root: string): Promise<Config> {
  return Config.load(await loadOptions(root));
}

/** The package root: src/cli → root, in both the source tree and dist/src/cli. */
function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${join('dist', 'src')}`) ? join(here, '..', '..', '..') : join(here, '..', '..');
}

/**
 * `root` is only a label for oclif here (nothing is read from it); the single-executable build passes the
 * executable's directory because its bundle has no import.meta.url and no package on disk.
 */
export async function run(argv: string[], root: string = packageRoot()): Promise<void> {
  try {
    // oclif's run() builds its Config from these options; given a ready Config it would load it all again.
    await runOclif(argv, await loadOptions(root));
    flush();
  } catch (error) {
    await handle(error as Error);
  }
}
