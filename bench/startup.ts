/**
 * Start-up times of kstream, each next to `node -e 0` measured in the same run (the machine is shared, so only
 * ratios to an in-run reference mean anything):
 *
 *   - `--version`: spawn → exit;
 *   - `serve`: spawn → the port accepts a TCP connection (the broker is then stopped with SIGTERM), with a new
 *     empty data dir each run (first start: creates meta.properties, __consumer_offsets, …) and with one data
 *     dir reused across runs (a restart, the usual case);
 *
 * for the single executable (dist/kstream, `npm run build:binary`) and for `node bin/kstream` (dist/, `npm run
 * build`). Cases run interleaved, round after round, so a slow phase of the machine hits all of them alike; the
 * table shows the median (and min / max) of the rounds.
 *
 *   node bench/startup.ts [--runs N] [--json FILE]        (npm run bench:startup)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
}

export interface StartupResult {
  name: string;
  kind: StartupCase['kind'];
  runs: number[];
  median: number;
  min: number;
  max: number;
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

/** Tries to connect until the port accepts; resolves with the time of the first accepted connection. */
function waitForAccept(port: number, start: number, alive: () => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        const elapsed = performance.now() - start;
        socket.destroy();
        resolve(elapsed);
      });
      socket.once('error', () => {
        socket.destroy();
        if (!alive()) reject(new Error('broker exited before accepting a connection'));
        else if (performance.now() - start > TIMEOUT_MS) reject(new Error(`port ${port} not accepting after ${TIMEOUT_MS} ms`));
        else setTimeout(attempt, 1);
      });
    };
    attempt();
  });
}

/** Milliseconds from spawn until `serve` accepts a TCP connection; the broker is stopped afterwards. */
async function timeToServe(command: string[], keptDataDir?: string): Promise<number> {
  const port = await freePort();
  const dataDir = keptDataDir ?? mkdtempSync(join(tmpdir(), 'kstream-startup-'));
  const args = [...command.slice(1), '--port', String(port), '--data-dir', dataDir];
  const start = performance.now();
  const child = spawn(command[0]!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  try {
    return await waitForAccept(port, start, () => !exited);
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
    { name: 'dist/kstream serve, new data dir', command: [binary, 'serve'], kind: 'serve' },
    { name: 'node bin/kstream serve, new data dir', command: [node, nodeCli, 'serve'], kind: 'serve' },
    { name: 'dist/kstream serve, existing data dir', command: [binary, 'serve'], kind: 'serve', dataDir: 'existing' },
    { name: 'node bin/kstream serve, existing data dir', command: [node, nodeCli, 'serve'], kind: 'serve', dataDir: 'existing' },
  ];
}

/** Runs all cases `runs` times, interleaved; the first case is the reference the ratios refer to. */
export async function measureStartup(cases: StartupCase[], runs: number): Promise<StartupResult[]> {
  const skip = cases.map(unavailable);
  const failed: (string | undefined)[] = cases.map(() => undefined);
  const times: number[][] = cases.map(() => []);
  const kept = cases.map((c) => (c.kind === 'serve' && c.dataDir === 'existing' ? mkdtempSync(join(tmpdir(), 'kstream-startup-kept-')) : undefined));
  try {
    // One unrecorded warm-up round: fills the page cache with the binaries and modules, and initialises the
    // kept data dirs.
    for (let round = -1; round < runs; round++) {
      for (const [i, c] of cases.entries()) {
        if (skip[i] || failed[i]) continue;
        try {
          const t = c.kind === 'exit' ? await timeToExit(c.command) : await timeToServe(c.command, kept[i]);
          if (round >= 0) times[i]!.push(t);
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
  const reference = median(times[0]!);
  return cases.map((c, i) => {
    const runsOf = times[i]!;
    const m = runsOf.length > 0 ? median(runsOf) : NaN;
    return {
      name: c.name,
      kind: c.kind,
      runs: runsOf,
      median: m,
      min: Math.min(...runsOf),
      max: Math.max(...runsOf),
      ratio: m / reference,
      ...(skip[i] ? { unavailable: skip[i] } : {}),
      ...(failed[i] ? { failed: failed[i] } : {}),
    };
  });
}

export function formatTable(results: StartupResult[], runs: number): string {
  const rows = [['case', 'median ms', 'min', 'max', '× node -e 0']];
  for (const r of results) {
    rows.push(
      r.unavailable
        ? [r.name, `n/a (${r.unavailable})`, '', '', '']
        : r.failed
          ? [r.name, 'FAILED (below)', '', '', '']
          : [r.name, r.median.toFixed(1), r.min.toFixed(1), r.max.toFixed(1), r.ratio.toFixed(2)],
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

function parseArgs(argv: string[]): { runs: number; json?: string } {
  let runs = 11;
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else if (argv[i] === '--json') json = argv[++i];
    else throw new Error(`unknown argument ${argv[i]} (usage: node bench/startup.ts [--runs N] [--json FILE])`);
  }
  if (!Number.isInteger(runs) || runs < 5) throw new Error('--runs must be an integer >= 5 (medians of fewer runs say little)');
  return json === undefined ? { runs } : { runs, json };
}

if (import.meta.main) {
  try {
    const { runs, json } = parseArgs(process.argv.slice(2));
    if (!existsSync(binary)) console.warn('dist/kstream missing: run `npm run build:binary` first');
    if (!existsSync(join(root, 'dist', 'cli.js'))) console.warn('dist/ missing: run `npm run build` first');
    const results = await measureStartup(defaultCases(), runs);
    console.log(formatTable(results, runs));
    if (json) writeFileSync(json, `${JSON.stringify({ node: process.version, runs, results }, null, 2)}\n`);
    if (results.some((r) => r.failed)) process.exitCode = 1;
  } catch (error) {
    console.error(`bench:startup failed: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
