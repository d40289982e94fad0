/**
 * Shared helpers for integration tests that need a running kstream broker and real clients.
 *
 *   const b = await startTestBroker();             // in-process broker on 127.0.0.1:<free port>, temp data dir
 *   await runKcat(['-b', b.bootstrap, '-L']);      // kcat (Debian) against it
 *   await b.close();                               // stops the broker, removes the temp dir
 *
 *   const c = await startChildBroker();            // `kstream serve` as a child process (sources via bin/dev)
 *   c.kill('SIGKILL'); await c.exited;             // crash it; start again on c.dataDir to test recovery
 *
 * Every helper bounds its waits with a timeout and rejects with a message that says what it was waiting
 * for, so a broken broker fails the test instead of hanging it. Always close what you start
 * (afterAll/afterEach); `closeAll()` closes every broker started by these helpers in this file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createConnection, type Socket } from 'node:net';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/headers.ts';
import { apis } from '../../src/protocol/messages/index.ts';
import { FrameSplitter } from '../../src/protocol/framing.ts';
import { startBroker, type RunningBroker } from '../../src/broker/broker.ts';
import { buildConfig } from '../../src/broker/config.ts';
import type { ApiHandler } from '../../src/broker/handler.ts';
import { createLogger, silentLogger, type Logger } from '../../src/broker/logger.ts';

/** Root of the repository (for bin/ and node_modules/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Node 24 (the devDependency) when present: bin/dev needs type stripping, the system node may be older. */
export const nodeBin = existsSync(join(repoRoot, 'node_modules', '.bin', 'node'))
  ? join(repoRoot, 'node_modules', '.bin', 'node')
  : process.execPath;

/** Brokers and child processes to stop, then temp dirs to remove (in that order). */
const cleanups = new Set<() => Promise<void>>();
const dirCleanups = new Set<() => Promise<void>>();

/** A fresh directory under the OS temp dir; removed by closeAll() unless `keep`. */
export async function tempDir(prefix = 'kstream-test-', keep = false): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (!keep) {
    const cleanup = async () => {
      dirCleanups.delete(cleanup);
      await rm(dir, { recursive: true, force: true });
    };
    dirCleanups.add(cleanup);
  }
  return dir;
}

export interface TestBroker {
  readonly host: string;
  readonly port: number;
  /** `host:port`, for `-b` / `brokers: [...]`. */
  readonly bootstrap: string;
  readonly dataDir: string;
  readonly broker: RunningBroker;
  /** Stops the broker (clean shutdown). The data dir is kept until closeAll() so a test can restart on it. */
  close(): Promise<void>;
}

export interface TestBrokerOptions {
  /** Broker settings by Kafka name, e.g. { 'num.partitions': '3' }. */
  config?: Record<string, string>;
  /** Reuse a data dir (restart tests); a fresh temp dir otherwise. */
  dataDir?: string;
  /** Port to bind (0 = any free port, the default). */
  port?: number;
  /** Injected clock. */
  now?: () => number;
  /** Log to stderr (set KSTREAM_TEST_LOG=debug|info to see broker logs) or to a given logger. */
  logger?: Logger;
  /** Serve this handler table instead of the full one (tests of the dispatch machinery). */
  handlers?: readonly ApiHandler[];
  /** What Metadata tells clients (default: 127.0.0.1 and the bound port). */
  advertisedHost?: string;
  advertisedPort?: number;
}

/** Starts an in-process broker on 127.0.0.1 with a temp data dir. */
export async function startTestBroker(opts: TestBrokerOptions = {}): Promise<TestBroker> {
  const dataDir = opts.dataDir ?? (await tempDir());
  const level = process.env.KSTREAM_TEST_LOG as 'debug' | 'info' | undefined;
  const logger = opts.logger ?? (level ? createLogger(level) : silentLogger);
  const broker = await startBroker({
    host: '127.0.0.1',
    port: opts.port ?? 0,
    dataDir,
    config: buildConfig({ extra: opts.config ?? {} }),
    logger,
    now: opts.now,
    advertisedHost: opts.advertisedHost,
    advertisedPort: opts.advertisedPort,
    handlers: opts.handlers,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    cleanups.delete(close);
    await broker.close();
  };
  cleanups.add(close);
  const { host, port } = broker.address;
  return { host, port, bootstrap: `${host}:${port}`, dataDir, broker, close };
}

export interface ChildBroker {
  readonly process: ChildProcess;
  readonly port: number;
  readonly bootstrap: string;
  readonly dataDir: string;
  /** Everything the child wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** Resolves with the exit code (or the signal name) when the child exits. */
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs `kstream serve --port 0` (or `port`) as a child process and waits for its ready line.
 * Uses bin/dev (the TypeScript sources on Node 24), so no build is needed; pass `bin: 'bin/kstream'`
 * to run the compiled dist/ instead (after `npm run build`).
 */
export async function startChildBroker(
  opts: { dataDir?: string; port?: number; args?: string[]; bin?: string; timeoutMs?: number; /** false: pass only `args` (no --port/--data-dir) */ defaultArgs?: boolean } = {},
): Promise<ChildBroker> {
  const dataDir = opts.dataDir ?? (await tempDir());
  const own = opts.defaultArgs === false ? [] : ['--port', String(opts.port ?? 0), '--data-dir', dataDir];
  const args = [join(repoRoot, opts.bin ?? 'bin/dev'), 'serve', ...own, ...(opts.args ?? [])];
  const child = spawn(nodeBin, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((res) => child.once('exit', (code, signal) => res(code ?? signal ?? -1)));
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const cleanup = async () => {
    cleanups.delete(cleanup);
    kill('SIGKILL');
    await exited;
  };
  cleanups.add(cleanup);
  let match: RegExpMatchArray;
  try {
    match = await waitForLine(child.stdout!, /^kstream: listening on (\S+):(\d+)/, opts.timeoutMs ?? 15_000, exited);
  } catch (err) {
    kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- broker output ---\n${out}`);
  }
  const port = Number(match[2]);
  return { process: child, port, bootstrap: `127.0.0.1:${port}`, dataDir, output: () => out, exited, kill };
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

/** Runs kcat (Debian's /usr/bin/kcat) with the given arguments; see run(). */
export function runKcat(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  return run('kcat', args, opts);
}

/** Whether kcat is installed (tests that need it are skipped otherwise, with the reason in the name). */
export const hasKcat = ['/usr/bin/kcat', '/usr/local/bin/kcat'].some((p) => existsSync(p));

/** Closes every broker, child process and temp dir started through these helpers. */
export async function closeAll(): Promise<void> {
  await Promise.allSettled([...cleanups].map((c) => c()));
  await Promise.allSettled([...dirCleanups].map((c) => c()));
}

/**
 * A minimal Kafka client over one socket for protocol-level tests: `request()` encodes with the
 * project's codecs and resolves with the decoded response body; `writeRaw()` sends arbitrary bytes
 * (hostile-input tests); `frames` collects every response frame in arrival order; `closed` resolves
 * when the broker drops the connection.
 */
export class RawClient {
  readonly socket: Socket;
  /** Every response frame (without length prefix) in arrival order. */
  readonly frames: Buffer[] = [];
  readonly closed: Promise<void>;
  private readonly splitter = new FrameSplitter(1 << 30);
  private readonly pending = new Map<number, { apiKey: number; apiVersion: number; resolve: (b: any) => void; reject: (e: Error) => void }>();
  private nextCorrelationId = 1;
  private isClosed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((res) => socket.once('close', () => res()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.splitter.push(chunk)) {
        this.frames.push(frame);
        const id = frame.readInt32BE(0);
        const p = this.pending.get(id);
        if (!p) continue;
        this.pending.delete(id);
        try {
          p.resolve(decodeResponseFrame(apis[p.apiKey]!, p.apiVersion, frame).body);
        } catch (err) {
          p.reject(err as Error);
        }
      }
    });
    socket.once('close', () => {
      this.isClosed = true;
      for (const p of this.pending.values()) p.reject(new Error('connection closed by the broker'));
      this.pending.clear();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((res, rej) => {
      const s = createConnection({ port, host }, () => {
        s.off('error', rej);
        res(new RawClient(s));
      });
      s.once('error', rej);
    });
  }

  /** Sends one request; resolves with the decoded response (or undefined at once when `noResponse`). */
  request<T = any>(apiKey: number, apiVersion: number, body: unknown, opts: { noResponse?: boolean; clientId?: string } = {}): Promise<T> {
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequestFrame(apis[apiKey]!, apiVersion, correlationId, opts.clientId ?? 'kstream-test', body);
    if (opts.noResponse) {
      this.socket.write(frame);
      return Promise.resolve(undefined as T);
    }
    return new Promise<T>((resolve, reject) => {
      if (this.isClosed) return reject(new Error('connection closed by the broker'));
      this.pending.set(correlationId, { apiKey, apiVersion, resolve, reject });
      this.socket.write(frame);
    });
  }

  /** Correlation id the next request() will use. */
  get peekCorrelationId(): number {
    return this.nextCorrelationId;
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Resolves true if `p` settles within `ms`, false otherwise (for "the broker closed the connection" checks). */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((res) => (timer = setTimeout(() => res(false), ms)));
  const done = p.then(() => true as const, () => true as const);
  const r = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return r;
}
