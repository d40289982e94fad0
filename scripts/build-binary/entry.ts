// What the single-executable bundle exports (scripts/build-binary.ts bundles this file). sea-main.cjs calls
// run() with the executable's directory as oclif's root: inside the executable there is no package on disk
// and no import.meta.url; run.ts hands oclif the bundled package.json and command table instead.
// train.ts also uses `commands`, to warm up every command's help while recording the code cache.
export { run } from '../../cli.ts';
export { commands } from '../../commands/index.ts';
