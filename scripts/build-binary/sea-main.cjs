'use strict';
// The main script of the kstream single executable (see scripts/build-binary.ts). It only compiles the bundle,
// an asset of the executable, with the V8 code cache recorded at build time by train.ts while it ran kstream:
// the bundle's functions then need no compiling at start-up, only those the training did not run.
// Node's own `useCodeCache` covers just the top-level code of this file, as it is made before anything runs.
// Here `require` loads built-in modules only; the bundle needs nothing else but the few packages built
// as assets of their own (`packages/<name>.cjs`, see SEPARATE_PACKAGES in scripts/build-binary.ts),
// which requireInBinary compiles on first use.
const { getAsset } = require('node:sea');
const { Script } = require('node:vm');
const { dirname } = require('node:path');
const { isBuiltin } = require('node:module');

const packages = new Map();
function requireInBinary(id) {
  if (isBuiltin(id)) return require(id);
  let mod = packages.get(id);
  if (!mod) {
    // getAsset throws "No matching asset found" for anything else: the bundle has no other requires.
    const source = getAsset(`packages/${id}.cjs`, 'utf8');
    mod = { exports: {} };
    packages.set(id, mod);
    new Script(source, { filename: `${id}.cjs` }).runInThisContext()(mod.exports, requireInBinary, mod, `${id}.cjs`, '.');
  }
  return mod.exports;
}

const source = getAsset('kstream.cjs', 'utf8');
// Two caches of the same bundle (train.ts): `serve`'s, and the client commands' (--version, help, the
// rest). V8 deserializes the whole cache given, so each start takes the one for what it runs. A command
// not first on the line (`kstream --x serve`, which oclif rejects anyway) only gets the other cache.
const cacheName = process.argv[2] === 'serve' ? 'kstream-serve.cache' : 'kstream.cache';
const script = new Script(source, { filename: 'kstream.cjs', cachedData: Buffer.from(getAsset(cacheName)) });
// A rejected cache (another Node version, or V8 flags in NODE_OPTIONS) only makes start-up slower; the build
// and the tests check that both are accepted.
if (process.env.KSTREAM_SEA_CACHE_CHECK) process.stderr.write(`code cache ${cacheName} ${script.cachedDataRejected ? 'rejected' : 'accepted'}\n`);
const bundle = { exports: {} };
script.runInThisContext()(bundle.exports, requireInBinary, bundle, __filename, __dirname);
bundle.exports.run(process.argv.slice(2), dirname(process.execPath));
