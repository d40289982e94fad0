/**
 * `npm run build:binary` → dist/kstream: one linux-x64 executable holding the whole CLI and broker, runnable
 * with no Node.js or node_modules installed. It is a Node Single Executable Application (SEA):
 *
 *   1. esbuild bundles scripts/build-binary/entry.ts (→ cli.ts, the command table, package.json and
 *      every dependency) into one CommonJS file, wrapped as a function expression. A SEA's `require` loads only
 *      built-in modules, so everything else must be inside that file.
 *   2. build-binary/train.ts runs that bundle twice and records V8's code cache of everything that ran: once
 *      `--version` and every help (the cache for client commands), once `serve` until it listens (for serve).
 *   3. `node --experimental-sea-config` makes the blob: main script build-binary/sea-main.cjs (useCodeCache),
 *      the bundle and its code caches as assets. At start-up sea-main compiles the bundle with the cache for
 *      the command, so almost nothing is compiled at run time (`--version`: 72 → 53 ms median against
 *      useCodeCache alone), and nothing is deserialized that the command does not run.
 *   4. The running Node 24 binary is copied, stripped of symbols (when binutils' `strip` exists) and the blob is
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
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { lazyOclifRequires } from './build-binary/lazy-modules.ts';
import { oclifStartupPatches } from './build-binary/oclif-patches.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** `--out FILE` builds elsewhere than dist/kstream (the tests build into a temp dir); work files go next to it. */
const outArg = process.argv.indexOf('--out');
const output = outArg > 0 && process.argv[outArg + 1] ? resolve(process.argv[outArg + 1]!) : join(root, 'dist', 'kstream');
const workDir = outArg > 0 ? `${output}.build` : join(root, 'dist', 'binary');
const bundleFile = join(workDir, 'kstream.cjs');
/** The code caches (train.ts): one for `serve`, one for every other command (sea-main.cjs picks). */
const cacheFiles = { cli: join(workDir, 'kstream.cache'), serve: join(workDir, 'kstream-serve.cache') } as const;
const seaMain = join(root, 'scripts', 'build-binary', 'sea-main.cjs');
const trainer = join(root, 'scripts', 'build-binary', 'train.ts');
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

/**
 * Self-contained packages that only a few commands use (`serve --tls-self-signed`: node-forge; client
 * profiles: yaml; the JDBC connectors: pg), kept out of the main bundle: every start pays for the main
 * bundle's size (the asset decoded, its code cache deserialized; together the largest part of the
 * executable's start-up), used or not. Each is bundled on its own into an asset, `packages/<name>.cjs`,
 * that sea-main.cjs compiles on the first `require` of it. They share no state with kstream's modules,
 * so a separate copy is safe (the same would not hold for our own modules).
 */
const SEPARATE_PACKAGES = ['node-forge', 'yaml', 'pg'] as const;
const packageFile = (name: string) => join(workDir, 'packages', `${name}.cjs`);

/** The wrapper sea-main.cjs and train.ts compile a bundle as: a CommonJS module function. */
const MODULE_WRAPPER = { banner: { js: '(function (exports, require, module, __filename, __dirname) {' }, footer: { js: '})' } };

async function bundlePackage(name: string): Promise<void> {
  const out = packageFile(name);
  await build({
    entryPoints: [createRequire(join(root, 'package.json')).resolve(name)],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    mainFields: ['main', 'module'],
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    ...MODULE_WRAPPER,
    logLevel: 'error',
  });
  writeFileSync(out, asciiOnly(readFileSync(out, 'utf8')));
}

async function bundle(): Promise<void> {
  await Promise.all(SEPARATE_PACKAGES.map(bundlePackage));
  const result = await build({
    entryPoints: [join(root, 'scripts', 'build-binary', 'entry.ts')],
    outfile: bundleFile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    // `await import('node:…')` of a built-in stays a real import() otherwise, which a script compiled with
    // vm.Script (sea-main.cjs) cannot run; as require() it works. Bundled modules' import()s are lazy inits.
    supported: { 'dynamic-import': false },
    // oclif only needs typescript to read tsconfig.json when running sources in dev mode; it is 10 MB.
    external: ['typescript', ...SEPARATE_PACKAGES],
    // Prefer the CommonJS builds of dual packages: no ESM-to-CJS interop wrappers in the hot path.
    mainFields: ['main', 'module'],
    define: {
      // oclif checks the Node version against its own package.json at import time; inside the binary that file
      // does not exist and the Node version is fixed at build time, so skip the check (and loading semver for it).
      'process.env.OCLIF_DISABLE_ENGINE_WARNING': '"true"',
      // Only read by cli.ts's packageRoot(), which the binary never calls (entry.ts passes the root).
      'import.meta.url': 'undefined',
    },
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    plugins: [lazyOclifRequires(root), oclifStartupPatches()],
    // sea-main.cjs and train.ts compile the bundle as a script whose value is this function (a CommonJS
    // module wrapper), so both hand it the same require/module and V8 can match the cache to the source.
    ...MODULE_WRAPPER,
    logLevel: 'warning',
  });
  writeFileSync(metaFile, JSON.stringify(result.metafile));
  writeFileSync(bundleFile, asciiOnly(readFileSync(bundleFile, 'utf8')));
}

/**
 * esbuild escapes non-ASCII characters except inside regular expression literals (ansis has raw ESC/CSI
 * characters in one). A single one makes V8 hold the whole 2 MB source as a two-byte string: decoding the
 * asset at every start gets slower and the string twice as big. `\uXXXX` means the same character in regex
 * literals, strings, templates and identifiers; the training run then proves the result still parses and runs.
 */
function asciiOnly(source: string): string {
  const escape = (unit: number) => `\\u${unit.toString(16).padStart(4, '0')}`;
  // Per UTF-16 unit: a character outside the BMP becomes its surrogate pair, which all those contexts accept.
  return source.replace(/[^\x00-\x7f]/gu, (ch) => [...Array(ch.length).keys()].map((i) => escape(ch.charCodeAt(i))).join(''));
}

/** Runs the bundle on `node` (the binary that is embedded) to record its code cache. */
function train(node: string, kind: keyof typeof cacheFiles): void {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // V8 flags there would make the cache unusable in the executable
  const result = spawnSync(node, [trainer, bundleFile, cacheFiles[kind], kind], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`training run of the bundle (${kind}) failed (exit ${result.status ?? result.signal})`);
}

function seaBlob(node: string): void {
  writeFileSync(
    seaConfigFile,
    JSON.stringify(
      {
        main: seaMain,
        output: blobFile,
        assets: {
          'kstream.cjs': bundleFile,
          'kstream.cache': cacheFiles.cli,
          'kstream-serve.cache': cacheFiles.serve,
          ...Object.fromEntries(SEPARATE_PACKAGES.map((name) => [`packages/${name}.cjs`, packageFile(name)])),
        },
        disableExperimentalSEAWarning: true,
        // For sea-main.cjs itself; the bundle has its trained cache. useSnapshot is not used: it crashes with
        // oclif loaded, and would freeze import-time state (colour support, DEBUG) of the build machine.
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

  for (const kind of ['cli', 'serve'] as const) {
    done = step(`train → ${rel(cacheFiles[kind])}`);
    train(node, kind);
    done();
  }

  done = step(`SEA blob → ${rel(blobFile)}`);
  seaBlob(node);
  done();

  done = step('copy + strip node');
  const stripped = copyNode(node);
  done();
  if (!stripped) console.warn('  note: `strip` (binutils) not found; the binary keeps its symbols (~17 MiB larger)');

  done = step('postject');
  inject(node);
  done();

  // The binary must at least start and know its version; a broken blob fails here, not at the user's.
  // `serve --help` starts with the serve cache.
  const checkCache = (args: string[]) => spawnSync(output, args, { encoding: 'utf8', cwd: workDir, env: { HOME: workDir, KSTREAM_SEA_CACHE_CHECK: '1' } });
  const check = checkCache(['--version']);
  const version = check.stdout.trim();
  if (check.status !== 0) throw new Error(`${rel(output)} --version failed (exit ${check.status}): ${check.stderr}`);
  for (const [name, r] of [['kstream.cache', check], ['kstream-serve.cache', checkCache(['serve', '--help'])]] as const) {
    if (r.stderr !== `code cache ${name} accepted\n`) {
      console.warn(`  warning: ${rel(output)} did not accept its code cache ${name} (start-up is slower): ${r.stderr.trim()}`);
    }
  }
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
