/**
 * Records a V8 code cache that sea-main.cjs hands to the bundle inside the executable, by running kstream
 * the way users start it. Two caches, one per kind of start (sea-main picks by the command):
 *
 *   - `cli`: `--version`, `--help` and every command's `--help` (what every client command runs first);
 *   - `serve`: `serve` until it accepts connections (then SIGTERM, as a user's Ctrl-C).
 *
 * A cache made after running holds the bytecode of every function that ran, where Node's `useCodeCache`
 * (made before running) holds only top-level code; in the executable those functions then start without
 * being compiled. Each start deserializes its whole cache (~10 ms per MB here), so a start pays only for
 * the code its kind of command runs: one cache for both made every start pay for both.
 *
 * Must run on the very Node binary that goes into the executable (V8 rejects a cache from another version or
 * other V8 flags). The bundle gets a `require` that, as inside the executable, loads built-in modules only.
 *
 *   node scripts/build-binary/train.ts BUNDLE CACHE_OUT cli|serve     (called by scripts/build-binary.ts)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Script } from 'node:vm';
import { encodeRequestFrame } from '../../src/protocol/headers.ts';
import { ApiVersionsApi } from '../../src/protocol/messages/api-versions.ts';

type Run = (argv: string[], root: string) => Promise<void>;

const [bundleArg, cacheArg, kind] = process.argv.slice(2);
if (!bundleArg || !cacheArg || (kind !== 'cli' && kind !== 'serve')) throw new Error('usage: node scripts/build-binary/train.ts BUNDLE CACHE_OUT cli|serve');
const bundleFile = resolve(bundleArg);
const cacheFile = resolve(cacheArg);
const root = dirname(bundleFile);
const report = (line: string) => process.stderr.write(`  train: ${line}\n`);

// Same source text and file name as sea-main.cjs compiles, or V8 rejects the cache.
const script = new Script(readFileSync(bundleFile, 'utf8'), { filename: 'kstream.cjs' });
// The cli cache is written at exit; the serve cache once serve answered its first requests (below), so it
// holds start-up and the first request's path but not the shutdown's (compiled when it happens).
let cacheWritten = false;
const writeCache = () => {
  if (!cacheWritten) writeFileSync(cacheFile, script.createCachedData());
  cacheWritten = true;
};
process.on('exit', writeCache);

const nodeRequire = createRequire(import.meta.url);
// As sea-main.cjs's requireInBinary: built-ins, and the packages bundled on their own (packages/<name>.cjs
// next to the bundle); nothing else exists inside the executable.
const packages = new Map<string, { exports: unknown }>();
const builtinRequire = (id: string): unknown => {
  if (isBuiltin(id)) return nodeRequire(id);
  let mod = packages.get(id);
  if (!mod) {
    const file = join(root, 'packages', `${id}.cjs`);
    if (!existsSync(file)) throw Object.assign(new Error(`Cannot find module '${id}' (only built-ins in the executable)`), { code: 'MODULE_NOT_FOUND' });
    mod = { exports: {} };
    packages.set(id, mod);
    (new Script(readFileSync(file, 'utf8'), { filename: `${id}.cjs` }).runInThisContext() as (...args: unknown[]) => void)(mod.exports, builtinRequire, mod, file, root);
  }
  return mod.exports;
};
const bundle = { exports: {} as { run: Run; commands: Record<string, unknown> } };
(script.runInThisContext() as (...args: unknown[]) => void)(bundle.exports, builtinRequire, bundle, bundleFile, root);
const { run, commands } = bundle.exports;

// What the commands print is not wanted here; `serve`'s ready line is watched for.
let stdout = '';
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
  callback?.();
  return true;
}) as typeof process.stdout.write;

const runs = kind === 'cli' ? [['--version'], ['--help'], ...Object.keys(commands).map((id) => [...id.split(':'), '--help'])] : [];
for (const argv of runs) {
  await run(argv, root);
  // oclif's flush() leaves a 'drain' listener per run when stdout was already flushed; harmless in a real
  // process (one run), but in this one it would pile up into a MaxListenersExceededWarning.
  process.stdout.removeAllListeners('drain');
}
if (kind === 'cli') {
  report(`cli cache: ran ${runs.length} commands (--version, --help, each command's --help)`);
  process.exit(0);
}

const dataDir = mkdtempSync(join(tmpdir(), 'kstream-train-'));
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
void run(['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent'], root);
const started = performance.now();
while (!/listening on/.test(stdout)) {
  if (performance.now() - started > 15_000) {
    report(`serve not listening after 15 s; it printed: ${stdout.slice(-500)}`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 5));
}
// A client's first requests, as a real client starts: ApiVersions v0 (old clients, the start-up bench)
// and v3 (flexible: every current client), so answering them needs no compiling either.
const port = Number(/listening on [^\s,]*:(\d+),/.exec(stdout)?.[1]);
await firstAnswers(port);
writeCache();
report('serve cache: serve listened and answered ApiVersions v0 and v3; stopping it with SIGTERM');
// serve's SIGTERM handler closes the broker and exits; if it hangs, that is a bug.
setTimeout(() => {
  report('serve did not exit within 10 s of SIGTERM');
  process.exit(1);
}, 10_000).unref();
process.kill(process.pid, 'SIGTERM');

/** Sends ApiVersions v0 then v3 on one connection and resolves when both are answered. */
function firstAnswers(brokerPort: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect(brokerPort, '127.0.0.1');
    const timer = setTimeout(() => reject(new Error('serve did not answer ApiVersions within 10 s')), 10_000);
    let received = Buffer.alloc(0);
    let answers = 0;
    socket.on('connect', () => {
      socket.write(encodeRequestFrame(ApiVersionsApi, 0, 1, 'kstream-build-train', {}));
      socket.write(encodeRequestFrame(ApiVersionsApi, 3, 2, 'kstream-build-train', { clientSoftwareName: 'kstream-build-train', clientSoftwareVersion: '1' }));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // Length-prefixed responses: count the complete ones.
      while (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
        received = received.subarray(4 + received.readInt32BE(0));
        if (++answers === 2) {
          clearTimeout(timer);
          socket.destroy();
          resolvePromise();
        }
      }
    });
    socket.on('error', reject);
  });
}
