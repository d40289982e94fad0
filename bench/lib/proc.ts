/**
 * Child processes for the benchmark: every process is started in its own process group and tracked,
 * so a timeout, an error or Ctrl-C kills the whole tree (kcat, node, the broker) and nothing is left
 * running on a shared machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const live = new Set<ChildProcess>();

/** Kill the process group of `child` (it was spawned detached, so its pid is the group id). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export function killAll(): void {
  for (const child of live) killGroup(child);
  live.clear();
}

const tempDirs = new Set<string>();
/** Remove `dir` when the harness exits, however it exits (a data dir can hold gigabytes). */
export function removeOnExit(dir: string): void {
  tempDirs.add(dir);
}
export function forgetTempDir(dir: string): void {
  tempDirs.delete(dir);
}
function removeTempDirs(): void {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

let cleanupInstalled = false;
/** Make sure no child outlives the harness, whatever way it ends. */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => {
    killAll();
    removeTempDirs();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Where a child's stdin comes from / stdout goes to: a file path, /dev/null, or a pipe. */
export type Io = 'ignore' | 'pipe' | { file: string };

export interface StartOptions {
  stdin?: Io;
  stdout?: Io;
  stderr?: Io;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface Started {
  child: ChildProcess;
  /** performance.now() just before spawn. */
  startedAt: number;
  /** Resolves when the process has exited (code, signal, performance.now() at exit). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Resolves once the process has exited and its stdio pipes are closed. */
  closed: Promise<void>;
}

function openIo(io: Io | undefined, write: boolean, fds: number[]): 'ignore' | 'pipe' | number {
  if (io === undefined || io === 'ignore') return 'ignore';
  if (io === 'pipe') return 'pipe';
  const fd = openSync(io.file, write ? 'w' : 'r');
  fds.push(fd);
  return fd;
}

export function start(cmd: string, args: readonly string[], opts: StartOptions = {}): Started {
  const fds: number[] = [];
  const stdio = [
    openIo(opts.stdin, false, fds),
    openIo(opts.stdout ?? 'pipe', true, fds),
    openIo(opts.stderr ?? 'pipe', true, fds),
  ];
  const startedAt = performance.now();
  const child = spawn(cmd, args, { stdio, env: opts.env ?? process.env, cwd: opts.cwd, detached: true });
  for (const fd of fds) closeSync(fd);
  live.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('exit', (code, signal) => {
      const at = performance.now();
      live.delete(child);
      resolve({ code, signal, at });
    });
    child.on('error', () => {
      live.delete(child);
      resolve({ code: -1, signal: null, at: performance.now() });
    });
  });
  const closed = new Promise<void>((resolve) => {
    child.on('close', () => resolve());
    child.on('error', () => resolve());
  });
  return { child, startedAt, exited, closed };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Wall time from spawn to exit, ms. */
  ms: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Collect at most `limit` characters of a stream (enough for error messages, never the payload). */
function collect(stream: NodeJS.ReadableStream | null, limit: number): () => string {
  let text = '';
  stream?.on('data', (chunk: Buffer) => {
    if (text.length < limit) text += chunk.toString('utf8', 0, Math.min(chunk.length, limit - text.length));
  });
  return () => text;
}

/** Run a command to completion with a hard timeout; the whole process group dies on timeout. */
export async function run(
  cmd: string,
  args: readonly string[],
  opts: StartOptions & { timeoutMs: number },
): Promise<RunResult> {
  const s = start(cmd, args, opts);
  const out = collect(s.child.stdout, 1 << 20);
  const err = collect(s.child.stderr, 64 << 10);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(s.child);
  }, opts.timeoutMs);
  const done = await s.exited;
  clearTimeout(timer);
  // Let the pipes deliver what was written before exit ('close' follows 'exit' once stdio is closed).
  await Promise.race([s.closed, new Promise((r) => setTimeout(r, 1000))]);
  return { code: done.code, signal: done.signal, ms: done.at - s.startedAt, stdout: out(), stderr: err(), timedOut };
}

/** Throw with the command's stderr when it did not exit 0. */
export function check(r: RunResult, what: string): RunResult {
  if (r.timedOut) throw new Error(`${what}: timed out after ${Math.round(r.ms)} ms\n${r.stderr.slice(-2000)}`);
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code ?? r.signal}\n${r.stderr.slice(-2000)}`);
  return r;
}

/** Resident set size of a process from /proc, in KiB (VmRSS, or VmHWM for the peak). */
export function readRssKb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (clock ticks of
 * 10 ms). Unlike wall time it barely moves when other work shares the machine.
 */
export function readCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}
