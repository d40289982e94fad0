/**
 * esbuild plugin: inside the bundle, oclif's `require` of a few packages that kstream's start-up never uses
 * (file globbing for command discovery, plugin-name matching, EJS templates, spinner frames, package.json
 * lookup, child processes, readline) returns a stand-in that loads the real package on first property access. oclif requires them at the
 * top of its modules, so without this every start evaluates them (~2 ms of ~40 ms, measured). They stay in the
 * bundle and behave the same when used (`<%= config.bin %>` in help examples loads EJS then).
 *
 * Only requires made by @oclif/core are redirected, and only for packages listed here: each is used by oclif
 * as `x.name(...)` at call time or through `__importDefault` (which reads `__esModule` at require time, so the
 * stand-in answers that from the real package, read at build time).
 */
import type { Plugin } from 'esbuild';
import { createRequire, isBuiltin } from 'node:module';
import { dirname } from 'node:path';

export const LAZY_FOR_OCLIF = [
  'tinyglobby',
  'minimatch',
  'ejs',
  'cli-spinners',
  'lilconfig',
  // Built-ins: child_process (with dgram) only for the Windows shell lookup, readline only for `-` args on stdin.
  'node:child_process',
  'node:readline',
] as const;

export function lazyOclifRequires(root: string, packages: readonly string[] = LAZY_FOR_OCLIF): Plugin {
  const oclifRequire = createRequire(createRequire(`${root}/`).resolve('@oclif/core'));
  const wanted = new Set(packages);
  return {
    name: 'lazy-oclif-requires',
    setup(build) {
      build.onResolve({ filter: /^[a-z@]/ }, (args) => {
        if (args.kind !== 'require-call' || args.namespace !== 'file' || !wanted.has(args.path)) return undefined;
        if (!/[\\/]node_modules[\\/]@oclif[\\/]core[\\/]/.test(args.importer)) return undefined;
        // Resolved as oclif would (its own nested versions win), so the stand-in loads exactly that file.
        // The package name as the stand-in's path keeps build-machine paths out of the bundle.
        return { path: args.path, namespace: 'lazy-oclif', pluginData: oclifRequire.resolve(args.path) };
      });
      build.onLoad({ filter: /.*/, namespace: 'lazy-oclif' }, (args) => {
        const resolved = args.pluginData as string;
        const esModule = (oclifRequire(resolved) as { __esModule?: unknown }).__esModule === true;
        return {
          resolveDir: isBuiltin(resolved) ? root : dirname(resolved),
          loader: 'js',
          contents: `
let real;
const load = () => (real ??= require(${JSON.stringify(resolved)}));
module.exports = new Proxy({}, {
  get: (_, key) => (key === '__esModule' ? ${esModule} : load()[key]),
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => {
    const d = Reflect.getOwnPropertyDescriptor(load(), key);
    return d && { ...d, configurable: true };
  },
});
`,
        };
      });
    },
  };
}
