/**
 * Start-up times of kstream, each next to `node -e 0` measured in the same run (the machine is shared, so only
 * ratios to an in-run reference mean anything):
 *
 *   - `--version`: spawn → exit;
 *   - `serve`: spawn → the first request answered (ApiVersions; the broker is then stopped with SIGTERM), with a new
 *     empty data dir each run (first start: creates meta.properties, __consumer_offsets, …) and with one data
 *     dir reused across runs (a restart, the usual case);
 *
 * for the single executable (dist/kstream, `npm run build:binary`) and for `node bin/kstream` (dist/, `npm run
 * build`). Cases run interleaved, round after round, so a slow phase of the machine hits all of them alike; the
 * table shows the median (and min / max) of the rounds. For `serve` it also shows the CPU time the broker
 * process had used when it first answered (all its threads, from /proc on Linux): on a shared machine that
 * is steadier than wall time, which includes waiting for a core.
 *
 * `--compare DIR` (repeatable) measures other built trees (another worktree with its own dist/ and
 * node_modules, e.g. an older commit) against this one, interleaved in the same rounds: `node bin/kstream
 * serve` on a new and on an existing data dir for each tree, and `dist/kstream serve` too when every
 * tree has its single executable built (no --version). `--modules` adds,
 * per serve case, how many of the tree's own modules (outside node_modules) were loaded by ready, counted
 * once by the bench/lib/module-log-hook.ts import hook (outside the timed runs).
 *
 *   node bench/startup.ts [--runs N] [--json FILE] [--compare DIR]... [--modules]   (npm run bench:startup)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encodeRequestFrame } from '../src/protocol/headers.ts';
import { ApiVersionsApi } from '../src/protocol/messages/api-versions.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;
const binary = join(root, 'dist', 'kstream');
const nodeCli = join(root, 'bin', 'kstream');

/** How long one start may take before the measurement is declared failed. */
const TIMEOUT_MS = 15_000;

export interface StartupCase {
  name: string;
  /** The command line; `serve` cases get `--port P --data-dir D` appended per run. */
  command: string[];
  kind: 'exit' | 'serve';
  /** For `serve`: a new empty data dir per run (default), or one kept across the runs of this case. */
  dataDir?: 'new' | 'existing';
  /** For `--modules`: the tree whose own modules are counted (its root directory). */
  tree?: string;
}

export interface StartupResult {
  name: string;
  kind: StartupCase['kind'];
  runs: number[];
  median: number;
  min: number;
  max: number;
  /** `serve` only: CPU ms (user + system, all threads) of the broker process when it first answered; median of the rounds. */
  cpuRuns?: number[];
  cpuMedian?: number;
  /** With `--modules`: the tree's own modules loaded by ready (one counted run). */
  modules?: number;
  /** median / median of `node -e 0` in the same run. */
  ratio: number;
  /** Set when the case could not run (e.g. the build has no serve command yet). */
  unavailable?: string;
  /** Set when a run of the case failed; the case is then dropped from the remaining rounds. */
  failed?: string;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Milliseconds from spawn to exit; a non-zero exit fails the measurement. */
function timeToExit(command: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const elapsed = performance.now() - start;
      clearTimeout(timer);
      if (code === 0) resolve(elapsed);
      else reject(new Error(`${command.join(' ')} exited with ${code ?? signal}: ${stderr.trim()}`));
    });
  });
}

/**
 * CPU milliseconds (user + system) a process has used so far, over all its threads (Node compiles and
 * collects garbage on helper threads): the sum of /proc/<pid>/task/<tid>/schedstat's first field (ns on
 * the CPU). Undefined where /proc has no such file (not Linux, or the process is gone).
 */
export function processCpuMs(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended between readdir and read
      }
    }
    return ns / 1e6;
  } catch {
    return undefined;
  }
}

/**
 * Resolves with the ms since `start` at which `serve` first answered a request: an ApiVersions v0 (what
 * every client sends first) on a fresh connection. A TCP accept alone is not "ready": a broker may bind
 * before its storage and coordinators are loaded and queue requests meanwhile (as kstream did before
 * 2026-12), so only an answer shows it serves. `onReady` runs first thing then (the CPU reading).
 */
function waitForAnswer(port: number, start: number, alive: () => boolean, onReady: () => void = () => {}): Promise<number> {
  const request = encodeRequestFrame(ApiVersionsApi, 0, 1, 'kstream-startup-bench', {});
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect({ host: '127.0.0.1', port });
      let received = Buffer.alloc(0);
      let done = false;
      socket.once('connect', () => socket.write(request));
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (done || received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
        done = true;
        const elapsed = performance.now() - start;
        onReady();
        socket.destroy();
        resolve(elapsed);
      });
      // Refused (not bound yet), or closed unanswered (a bind probe, a broker stopping): try again.
      const retry = () => {
        if (done) return;
        done = true;
        socket.destroy();
        if (!alive()) reject(new Error('broker exited before answering a request'));
        else if (performance.now() - start > TIMEOUT_MS) reject(new Error(`port ${port} not answering after ${TIMEOUT_MS} ms`));
        else setTimeout(attempt, 1);
      };
      socket.once('error', retry);
      socket.once('close', retry);
    };
    attempt();
  });
}

/**
 * Milliseconds from spawn until `serve` answers its first request (waitForAnswer), and the CPU ms the
 * broker had used by then; the broker is stopped afterwards.
 */
async function timeToServe(command: string[], keptDataDir?: string, env?: NodeJS.ProcessEnv): Promise<{ wall: number; cpu: number | undefined }> {
  const port = await freePort();
  const dataDir = keptDataDir ?? mkdtempSync(join(tmpdir(), 'kstream-startup-'));
  const args = [...command.slice(1), '--port', String(port), '--data-dir', dataDir];
  const start = performance.now();
  const child = spawn(command[0]!, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  let cpu: number | undefined;
  try {
    const wall = await waitForAnswer(port, start, () => !exited, () => (cpu = processCpuMs(child.pid!)));
    return { wall, cpu };
  } catch (error) {
    throw new Error(`${command.join(' ')} serve: ${(error as Error).message}${stderr ? `: ${stderr.trim()}` : ''}`);
  } finally {
    if (!exited) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exit;
    clearTimeout(killer);
    if (!keptDataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Why a case cannot run with this build, or undefined when it can. */
function unavailable(c: StartupCase): string | undefined {
  const script = c.command[0] === node && !c.command[1]!.startsWith('-') ? c.command[1]! : undefined;
  const exe = script ?? c.command[0]!;
  if (!existsSync(exe)) return `${exe} missing`;
  if (c.kind === 'serve') {
    const help = spawnSync(c.command[0]!, [...c.command.slice(1), '--help'], { encoding: 'utf8', timeout: TIMEOUT_MS });
    if (help.status !== 0) return 'no serve command in this build';
  }
  return undefined;
}

export function defaultCases(): StartupCase[] {
  return [
    { name: 'node -e 0', command: [node, '-e', '0'], kind: 'exit' },
    { name: 'dist/kstream --version', command: [binary, '--version'], kind: 'exit' },
    { name: 'node bin/kstream --version', command: [node, nodeCli, '--version'], kind: 'exit' },
    { name: 'dist/kstream serve, new data dir', command: [binary, 'serve'], kind: 'serve', tree: root },
    { name: 'node bin/kstream serve, new data dir', command: [node, nodeCli, 'serve'], kind: 'serve', tree: root },
    { name: 'dist/kstream serve, existing data dir', command: [binary, 'serve'], kind: 'serve', dataDir: 'existing', tree: root },
    { name: 'node bin/kstream serve, existing data dir', command: [node, nodeCli, 'serve'], kind: 'serve', dataDir: 'existing', tree: root },
  ];
}

/**
 * `--compare`: this tree and each of `others` (built worktrees), `node bin/kstream serve` on a new and
 * an existing data dir, next to `node -e 0`. Each tree runs its own bin/kstream with its own dist/ and
 * node_modules; cases are named by the tree's directory name.
 */
export function compareCases(others: readonly string[]): StartupCase[] {
  const trees = [root, ...others.map((d) => resolve(d))];
  const cases: StartupCase[] = [{ name: 'node -e 0', command: [node, '-e', '0'], kind: 'exit' }];
  // The single executables too, when every tree has one built (`npm run build:binary` in each).
  const binaries = trees.every((tree) => existsSync(join(tree, 'dist', 'kstream')));
  for (const dataDir of ['new', 'existing'] as const) {
    for (const tree of trees) {
      const label = tree === root ? `${basename(tree)} (this tree)` : basename(tree);
      cases.push({ name: `${label}: node bin/kstream serve, ${dataDir} data dir`, command: [node, join(tree, 'bin', 'kstream'), 'serve'], kind: 'serve', dataDir, tree });
      if (binaries) cases.push({ name: `${label}: dist/kstream serve, ${dataDir} data dir`, command: [join(tree, 'dist', 'kstream'), 'serve'], kind: 'serve', dataDir, tree });
    }
  }
  return cases;
}

const moduleLogHook = pathToFileURL(join(root, 'bench', 'lib', 'module-log-hook.ts')).href;

/**
 * How many of the case's tree's own modules (not node_modules, not node: built-ins) a `serve` had loaded by
 * the time it answered: one run with the module-log hook, not timed.
 */
async function modulesAtReady(c: StartupCase): Promise<number | undefined> {
  if (c.kind !== 'serve' || !c.tree || c.command[0] !== node) return undefined;
  const log = join(mkdtempSync(join(tmpdir(), 'kstream-startup-modules-')), 'modules.txt');
  try {
    await timeToServe([node, '--import', moduleLogHook, ...c.command.slice(1)], undefined, { KSTREAM_MODULE_LOG: log });
    const own = pathToFileURL(c.tree).href + '/';
    return readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith(own) && !u.includes('/node_modules/')).length;
  } finally {
    rmSync(dirname(log), { recursive: true, force: true });
  }
}

/** Runs all cases `runs` times, interleaved; the first case is the reference the ratios refer to. */
export async function measureStartup(cases: StartupCase[], runs: number, opts: { modules?: boolean } = {}): Promise<StartupResult[]> {
  const skip = cases.map(unavailable);
  const failed: (string | undefined)[] = cases.map(() => undefined);
  const times: number[][] = cases.map(() => []);
  const cpu: number[][] = cases.map(() => []);
  const kept = cases.map((c) => (c.kind === 'serve' && c.dataDir === 'existing' ? mkdtempSync(join(tmpdir(), 'kstream-startup-kept-')) : undefined));
  try {
    // One unrecorded warm-up round: fills the page cache with the binaries and modules, and initialises the
    // kept data dirs.
    for (let round = -1; round < runs; round++) {
      for (const [i, c] of cases.entries()) {
        if (skip[i] || failed[i]) continue;
        try {
          if (c.kind === 'exit') {
            const t = await timeToExit(c.command);
            if (round >= 0) times[i]!.push(t);
          } else {
            const t = await timeToServe(c.command, kept[i]);
            if (round >= 0) {
              times[i]!.push(t.wall);
              if (t.cpu !== undefined) cpu[i]!.push(t.cpu);
            }
          }
        } catch (error) {
          // One broken case (e.g. a half-built dist/) must not cost the measurements of the others.
          failed[i] = (error as Error).message;
        }
      }
    }
  } finally {
    for (const dir of kept) if (dir) rmSync(dir, { recursive: true, force: true });
  }
  if (failed[0]) throw new Error(`the reference ${cases[0]!.name} failed: ${failed[0]}`);
  const modules: (number | undefined)[] = [];
  for (const [i, c] of cases.entries()) modules.push(opts.modules && !skip[i] && !failed[i] ? await modulesAtReady(c).catch(() => undefined) : undefined);
  const reference = median(times[0]!);
  return cases.map((c, i) => {
    const runsOf = times[i]!;
    const m = runsOf.length > 0 ? median(runsOf) : NaN;
    const cpuOf = cpu[i]!;
    return {
      name: c.name,
      kind: c.kind,
      runs: runsOf,
      median: m,
      min: Math.min(...runsOf),
      max: Math.max(...runsOf),
      ...(cpuOf.length > 0 ? { cpuRuns: cpuOf, cpuMedian: median(cpuOf) } : {}),
      ...(modules[i] !== undefined ? { modules: modules[i] } : {}),
      ratio: m / reference,
      ...(skip[i] ? { unavailable: skip[i] } : {}),
      ...(failed[i] ? { failed: failed[i] } : {}),
    };
  });
}

export function formatTable(results: StartupResult[], runs: number): string {
  const withModules = results.some((r) => r.modules !== undefined);
  const rows = [['case', 'median ms', 'min', 'max', '× node -e 0', 'CPU ms to ready', ...(withModules ? ['own modules'] : [])]];
  for (const r of results) {
    const extra = withModules ? [r.modules === undefined ? '' : String(r.modules)] : [];
    rows.push(
      r.unavailable
        ? [r.name, `n/a (${r.unavailable})`, '', '', '', '', ...extra]
        : r.failed
          ? [r.name, 'FAILED (below)', '', '', '', '', ...extra]
          : [r.name, r.median.toFixed(1), r.min.toFixed(1), r.max.toFixed(1), r.ratio.toFixed(2), r.cpuMedian === undefined ? '' : r.cpuMedian.toFixed(1), ...extra],
    );
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  const line = (row: string[]) => row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  ');
  return [
    `start-up, median of ${runs} interleaved runs (Node ${process.version}, ${process.platform}-${process.arch})`,
    line(rows[0]!),
    ...rows.slice(1).map(line),
    ...results.filter((r) => r.failed).map((r) => `FAILED ${r.name}: ${r.failed}`),
  ].join('\n');
}

const USAGE = 'usage: node bench/startup.ts [--runs N] [--json FILE] [--compare DIR]... [--modules]';

function parseArgs(argv: string[]): { runs: number; json?: string; compare: string[]; modules: boolean } {
  let runs = 11;
  let json: string | undefined;
  const compare: string[] = [];
  let modules = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else if (argv[i] === '--json') json = argv[++i];
    else if (argv[i] === '--compare') {
      const dir = argv[++i];
      if (!dir) throw new Error(`--compare needs a directory (${USAGE})`);
      // Older trees have their entry elsewhere in dist/ (src/cli/run.js before cli.ts moved out of src/cli).
      if (!existsSync(join(dir, 'bin', 'kstream')) || !existsSync(join(dir, 'dist')) || !existsSync(join(dir, 'node_modules'))) {
        throw new Error(`--compare ${dir}: not a built kstream tree (bin/kstream, dist/ and node_modules/ are needed; run npm ci and npm run build there)`);
      }
      compare.push(dir);
    } else if (argv[i] === '--modules') modules = true;
    else throw new Error(`unknown argument ${argv[i]} (${USAGE})`);
  }
  if (!Number.isInteger(runs) || runs < 5) throw new Error('--runs must be an integer >= 5 (medians of fewer runs say little)');
  return { runs, compare, modules, ...(json === undefined ? {} : { json }) };
}

if (import.meta.main) {
  try {
    const { runs, json, compare, modules } = parseArgs(process.argv.slice(2));
    if (compare.length === 0 && !existsSync(binary)) console.warn('dist/kstream missing: run `npm run build:binary` first');
    if (!existsSync(join(root, 'dist', 'cli.js'))) console.warn('dist/ missing: run `npm run build` first');
    const results = await measureStartup(compare.length > 0 ? compareCases(compare) : defaultCases(), runs, { modules });
    console.log(formatTable(results, runs));
    if (json) writeFileSync(json, `${JSON.stringify({ node: process.version, runs, results }, null, 2)}\n`);
    if (results.some((r) => r.failed)) process.exitCode = 1;
  } catch (error) {
    console.error(`bench:startup failed: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
