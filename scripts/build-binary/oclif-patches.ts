/**
 * esbuild plugin: two one-line changes to oclif's code in the bundle, each removing start-up work that every
 * kstream command paid (measured in the executable):
 *
 *   - config/plugin.js sorts commands with `a.id.localeCompare(b.id)`; the first localeCompare of a process
 *     sets up ICU collation, ~7 ms. It becomes a code-unit comparison: command ids are ASCII words joined by
 *     ':' (no id is another's prefix followed by punctuation), so the order is the same.
 *   - util/os.js getPlatform() imports `wsl-utils` only to read its `isWsl`, which is `is-wsl`'s default
 *     export; wsl-utils also loads powershell-utils and node:child_process (with dgram), ~2-3 ms. It imports
 *     `is-wsl` directly instead.
 *
 * test/binary checks that the binary's help equals the help of the sources for every command. If an oclif
 * upgrade changes one of these lines, the build warns and the bundle keeps oclif's code (slower, not wrong).
 */
import type { Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';

interface Patch {
  file: RegExp;
  from: string;
  to: string;
  saves: string;
}

const PATCHES: Patch[] = [
  {
    file: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/,
    from: '.sort((a, b) => a.id.localeCompare(b.id))',
    to: '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))',
    saves: '~7 ms (ICU collation set-up)',
  },
  {
    file: /[\\/]@oclif[\\/]core[\\/]lib[\\/]util[\\/]os\.js$/,
    from: "return (await import('wsl-utils')).isWsl ? 'wsl' : (0, node_os_1.platform)();",
    to: "return (await import('is-wsl')).default ? 'wsl' : (0, node_os_1.platform)();",
    saves: '~2-3 ms (wsl-utils, powershell-utils, child_process)',
  },
];

export function oclifStartupPatches(): Plugin {
  return {
    name: 'oclif-startup-patches',
    setup(build) {
      for (const patch of PATCHES) {
        build.onLoad({ filter: patch.file }, async (args) => {
          const source = await readFile(args.path, 'utf8');
          if (!source.includes(patch.from)) {
            const text = `oclif-startup-patches: "${patch.from}" not found in ${args.path}; oclif's code stays (start-up ${patch.saves} slower)`;
            return { contents: source, loader: 'js', warnings: [{ text }] };
          }
          return { contents: source.replace(patch.from, patch.to), loader: 'js' };
        });
      }
    },
  };
}
