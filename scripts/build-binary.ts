/**
 * `npm run build:binary` → dist/kstream: one linux-x64 executable holding the whole CLI and broker, runnable
 * with no Node.js or node_modules installed. It is a Node Single Executable Application (SEA):
 *
 *   1. esbuild bundles scripts/build-binary/entry.ts (→ src/cli/run.ts, the command table, package.json and
 *      every dependency) into one CommonJS file. A SEA's `require` loads only built-in modules, so everything
 *      else must be inside that file.
 *   2. `node --experimental-sea-config` turns the bundle into a blob, with V8's code cache (useCodeCache) so the
 *      bundle is not compiled from scratch at every start.
 *   3. The running Node 24 binary is copied, stripped of symbols (when binutils' `strip` exists) and the blob is
 *      injected with postject.
 *
 * Why not `pkg`: it downloads its base binaries from outside the npm registry, which fails offline; SEA needs
 * only the Node binary we already run and npm packages (docs/binary.md).
 *
 * Intermediate files (bundle, sea-config.json, blob, esbuild metafile) go to dist/binary/.
 *
 *   node scripts/build-binary.ts [--out FILE]        (npm run build:binary)
 */
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** `--out FILE` builds elsewhere than dist/kstream (the tests build into a temp dir); work files go next to it. */
const outArg = process.argv.indexOf('--out');
const output = outArg > 0 && process.argv[outArg + 1] ? resolve(process.argv[outArg + 1]!) : join(root, 'dist', 'kstream');
const workDir = outArg > 0 ? `${output}.build` : join(root, 'dist', 'binary');
const bundleFile = join(workDir, 'kstream.cjs');
const metaFile = join(workDir, 'meta.json');
const seaConfigFile = join(workDir, 'sea-config.json');
const blobFile = join(workDir, 'sea-prep.blob');
/** The fuse Node looks for to know a SEA blob was injected (Node's docs, "Single executable applications"). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const rel = (p: string) => relative(process.cwd(), p) || '.';
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function step(name: string): () => void {
  const start = performance.now();
  return () => console.log(`  ${name.padEnd(36)} ${Math.round(performance.now() - start).toString().padStart(6)} ms`);
}

/** The Node binary to embed: the one running this script, which must also produce the blob (same version). */
function nodeBinary(): string {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) {
    throw new Error(
      `build:binary needs Node >= 24 (running ${process.version} at ${process.execPath}); ` +
        'run it through npm (`npm run build:binary`) so node_modules/.bin/node is used',
    );
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    console.warn(`note: building for ${process.platform}-${process.arch}, the only tested target is linux-x64`);
  }
  return process.execPath;
}

async function bundle(): Promise<void> {
  const result = await build({
    entryPoints: [join(root, 'scripts', 'build-binary', 'entry.ts')],
    outfile: bundleFile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    // oclif only needs typescript to read tsconfig.json when running sources in dev mode; it is 10 MB.
    external: ['typescript'],
    // Prefer the CommonJS builds of dual packages: no ESM-to-CJS interop wrappers in the hot path.
    mainFields: ['main', 'module'],
    define: {
      // oclif checks the Node version against its own package.json at import time; inside the binary that file
      // does not exist and the Node version is fixed at build time, so skip the check (and loading semver for it).
      'process.env.OCLIF_DISABLE_ENGINE_WARNING': '"true"',
      // Only read by run.ts's packageRoot(), which the binary never calls (entry.ts passes the root).
      'import.meta.url': 'undefined',
    },
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  writeFileSync(metaFile, JSON.stringify(result.metafile));
}

function seaBlob(node: string): void {
  writeFileSync(
    seaConfigFile,
    JSON.stringify(
      {
        main: bundleFile,
        output: blobFile,
        disableExperimentalSEAWarning: true,
        // ~10 % faster start-up. useSnapshot is not used: it crashes with oclif loaded.
        useCodeCache: true,
      },
      null,
      2,
    ),
  );
  // It reports success on stderr; stay quiet unless it fails.
  const result = spawnSync(node, ['--experimental-sea-config', seaConfigFile], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node --experimental-sea-config failed:\n${result.stderr}`);
}

/** Copies the Node binary and strips its symbols; returns false when `strip` is not installed. */
function copyNode(node: string): boolean {
  rmSync(output, { force: true });
  copyFileSync(node, output);
  chmodSync(output, 0o755);
  const strip = spawnSync('strip', [output], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (strip.error && (strip.error as NodeJS.ErrnoException).code === 'ENOENT') return false;
  if (strip.status !== 0) throw new Error(`strip ${rel(output)} failed (exit ${strip.status})`);
  return true;
}

/**
 * Injects the blob with postject's CLI. Its ELF library (LIEF) prints "Can't find string offset for section name"
 * for every note section of a stripped binary; those lines are harmless noise (nodejs/postject#83) and are
 * dropped, anything else postject prints is shown.
 */
function inject(node: string): void {
  const cli = join(dirname(createRequire(import.meta.url).resolve('postject')), 'cli.js');
  const result = spawnSync(
    node,
    [cli, output, 'NODE_SEA_BLOB', blobFile, '--sentinel-fuse', SEA_FUSE],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const noise = /^(warning: Can't find string offset for section name .*|Start injection of NODE_SEA_BLOB in .*|💉 Injection done!)$/u;
  const rest = stripVTControlCharacters(`${result.stdout}\n${result.stderr}`).split('\n').filter((l) => l.trim() !== '' && !noise.test(l));
  if (rest.length > 0) console.error(rest.map((l) => `  postject: ${l}`).join('\n'));
  if (result.status !== 0) throw new Error(`postject failed (exit ${result.status})`);
  chmodSync(output, 0o755);
}

async function main(): Promise<void> {
  const started = performance.now();
  const node = nodeBinary();
  mkdirSync(workDir, { recursive: true });
  console.log(`building ${rel(output)} from Node ${process.version} (${node})`);

  let done = step(`esbuild → ${rel(bundleFile)}`);
  await bundle();
  done();

  done = step(`SEA blob → ${rel(blobFile)}`);
  seaBlob(node);
  done();

  done = step('copy + strip node');
  const stripped = copyNode(node);
  done();
  if (!stripped) console.warn('  note: `strip` (binutils) not found; the binary keeps its symbols (~12 MB larger)');

  done = step('postject');
  inject(node);
  done();

  // The binary must at least start and know its version; a broken blob fails here, not at the user's.
  const version = execFileSync(output, ['--version'], { encoding: 'utf8', cwd: workDir }).trim();
  const expected = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  if (!version.startsWith(`kstream/${expected} `)) {
    throw new Error(`${rel(output)} --version printed ${JSON.stringify(version)}, expected kstream/${expected} …`);
  }

  console.log(
    `${rel(output)}: ${mib(statSync(output).size)} (bundle ${mib(statSync(bundleFile).size)}), ` +
      `built in ${((performance.now() - started) / 1000).toFixed(1)} s — ${version}`,
  );
}

main().catch((error: unknown) => {
  console.error(`build:binary failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
