/**
 * Running commands from tests: the repository's paths, the Node that runs the TypeScript sources,
 * commands run to completion (kcat, python, the CLI), child processes killed and awaited, and waiting for
 * a line of a child's output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** Root of the repository (for bin/ and node_modules/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Node 24 (the devDependency) when present: bin/dev needs type stripping, the system node may be older. */
export const nodeBin = existsSync(join(repoRoot, 'node_modules', '.bin', 'node')) ? join(repoRoot, 'node_modules', '.bin', 'node') : process.execPath;

/**
 * The CLI entry that runs the current TypeScript sources (no build): spawn `nodeBin devBin ...args`.
 * Tests never run bin/kstream, which loads dist/ and may be stale.
 */
export const devBin = join(repoRoot, 'bin', 'dev');

// Children inherit this: Node caches the compiled (type-stripped) sources across the many CLI and
// broker processes a test run starts, as bin/kstream's enableCompileCache does for dist/. Without it
// every bin/dev start compiles oclif and our modules again, seconds each on a loaded machine.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'kstream-test-compile-cache');

export interface RunResult {
  code: number | string;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion with optional stdin, killing it after `timeoutMs` (the result then has
 * code 'timeout' so the test fails with the output in hand rather than hanging).
 */
export function run(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    child.on('error', reject);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 20_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code: timedOut ? 'timeout' : (code ?? signal ?? -1),
        stdout: Buffer.concat(stdout).toString(),
        stderr: Buffer.concat(stderr).toString(),
      });
    });
    child.stdin.on('error', () => {}); // the child may exit before reading all its input
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs the kstream CLI from the current sources (bin/dev) to completion; see run(). */
export function runCli(args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return run(nodeBin, [devBin, ...args], opts);
}

/** Runs kcat (Debian's /usr/bin/kcat) with the given arguments; see run(). */
export function runKcat(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  return run('kcat', args, opts);
}

/** Whether kcat is installed (tests that need it are skipped otherwise, with the reason in the name). */
export const hasKcat = ['/usr/bin/kcat', '/usr/local/bin/kcat'].some((p) => existsSync(p));

/** Sends `signal` to a child (unless it has already exited) and resolves when it has exited. */
export function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    child.once('exit', () => resolvePromise());
    child.kill(signal);
  });
}

/**
 * Resolves with the first line of `stream` matching `re`; rejects after `timeoutMs` or when the stream
 * ends (or `exited` resolves) first, naming the pattern.
 */
export function waitForLine(stream: Readable, re: RegExp, timeoutMs = 10_000, exited?: Promise<unknown>): Promise<RegExpMatchArray> {
  return new Promise((resolvePromise, reject) => {
    let buffered = '';
    const finish = (err: Error | null, m?: RegExpMatchArray) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      if (err) reject(err);
      else resolvePromise(m!);
    };
    const onData = (d: Buffer | string) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = re.exec(line);
        if (m) return finish(null, m);
      }
    };
    const onEnd = () => finish(new Error(`stream ended before a line matching ${re}`));
    const timer = setTimeout(() => finish(new Error(`no line matching ${re} within ${timeoutMs} ms`)), timeoutMs);
    stream.on('data', onData);
    stream.on('end', onEnd);
    exited?.then((code) => finish(new Error(`process exited (${code}) before a line matching ${re}`)));
  });
}
