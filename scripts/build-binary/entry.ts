// Entry point of the single-executable build (scripts/build-binary.ts bundles this file).
// Inside the executable there is no package on disk and no import.meta.url, so the executable's own
// directory stands in as oclif's root; run.ts hands oclif the bundled package.json and command table.
import { dirname } from 'node:path';
import { run } from '../../src/cli/run.ts';

void run(process.argv.slice(2), dirname(process.execPath));
