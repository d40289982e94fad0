/**
 * esbuild plugin: oclif sorts a plugin's commands with `a.id.localeCompare(b.id)` on every start. The first
 * localeCompare of a process sets up ICU collation, measured at ~7 ms — a sixth of `kstream --version`.
 * In the bundle that comparison becomes a plain code-unit comparison. Command ids are ASCII words joined by
 * ':' (no id is another's prefix followed by punctuation), so the order is the same; test/binary checks that
 * the binary's help equals the help of the sources for every command.
 *
 * If an oclif upgrade changes that line, the build warns and the bundle keeps oclif's code (slower, not wrong).
 */
import type { Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';

const SORT = '.sort((a, b) => a.id.localeCompare(b.id))';
const CODE_UNIT_SORT = '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))';

export function oclifCodeUnitSort(): Plugin {
  return {
    name: 'oclif-code-unit-sort',
    setup(build) {
      build.onLoad({ filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes(SORT)) {
          return { contents: source, loader: 'js', warnings: [{ text: `oclif-code-unit-sort: "${SORT}" not found in ${args.path}; oclif's localeCompare stays (~7 ms slower start)` }] };
        }
        return { contents: source.replace(SORT, CODE_UNIT_SORT), loader: 'js' };
      });
    },
  };
}
