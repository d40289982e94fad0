/**
 * A kstream broker for integration tests, in-process or as a child process:
 *
 *   const b = await startTestBroker();             // in-process broker on 127.0.0.1:<free port>, temp data dir
 *   await runKcat(['-b', b.bootstrap, '-L']);      // kcat (Debian) against it
 *   await b.close();                               // stops the broker; closeAll() removes the temp dir
 *
 *   const c = await startChildBroker();            // `kstream serve` as a child process (current sources, bin/dev)
 *   c.kill('SIGKILL'); await c.exited;             // crash it; start again on c.dataDir to test recovery
 *
 * Every wait is bounded and rejects with what it was waiting for, so a broken broker fails the test
 * instead of hanging it. Always close what you start (afterAll/afterEach): `closeAll()` closes every
 * broker, child and temp dir started through these helpers in this file.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { startBroker, type RunningBroker } from '../../src/broker/broker.ts';
import { buildConfig } from '../../src/broker/config.ts';
import type { ServedApi } from '../../src/broker/handler-table.ts';
import { createLogger, silentLogger, type Logger } from '../../src/broker/logger.ts';
import type { MetadataStore } from '../../src/cluster/metadata-store.ts';
import { onStop } from './cleanup.ts';
import { devBin, nodeBin, repoRoot, waitForLine } from './process.ts';
import { tempDir } from './temp.ts';

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
  handlers?: readonly ServedApi[];
  /** What Metadata tells clients (default: 127.0.0.1 and the bound port). */
  advertisedHost?: string;
  advertisedPort?: number;
  /** Run in cluster mode on this metadata store (e.g. createLocalMetadataStore().store). */
  metadataStore?: MetadataStore;
}

function testLogLevel(): 'debug' | 'info' | undefined {
  const level = process.env.KSTREAM_TEST_LOG;
  return level === 'debug' || level === 'info' ? level : undefined;
}

/** Starts an in-process broker on 127.0.0.1 with a temp data dir. */
export async function startTestBroker(opts: TestBrokerOptions = {}): Promise<TestBroker> {
  const dataDir = opts.dataDir ?? (await tempDir());
  const level = testLogLevel();
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
    metadataStore: opts.metadataStore,
  });
  const close = onStop(() => broker.close());
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

export interface ChildBrokerOptions {
  dataDir?: string;
  port?: number;
  /** Extra `kstream serve` arguments (after --port and --data-dir). */
  args?: string[];
  /** How long to wait for the ready line. */
  timeoutMs?: number;
  /** false: pass only `args` (no --port/--data-dir). */
  defaultArgs?: boolean;
  /** Node options before the script (e.g. `--import` of a hook). */
  nodeArgs?: string[];
  /** Extra environment variables for the child. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `kstream serve --port 0` (or `port`) as a child process and waits for its ready line. It runs
 * bin/dev, the current TypeScript sources on Node 24, never the compiled dist/ (which may be stale).
 */
export async function startChildBroker(opts: ChildBrokerOptions = {}): Promise<ChildBroker> {
  const dataDir = opts.dataDir ?? (await tempDir());
  const own = opts.defaultArgs === false ? [] : ['--port', String(opts.port ?? 0), '--data-dir', dataDir];
  const child = spawn(nodeBin, [...(opts.nodeArgs ?? []), devBin, 'serve', ...own, ...(opts.args ?? [])], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((res) => child.once('exit', (code, signal) => res(code ?? signal ?? -1)));
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  onStop(async () => {
    kill('SIGKILL');
    await exited;
  });
  let match: RegExpMatchArray;
  try {
    match = await waitForLine(child.stdout, /^kstream: listening on (\S+):(\d+)/, opts.timeoutMs ?? 15_000, exited);
  } catch (err) {
    kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- broker output ---\n${out}`);
  }
  const port = Number(match[2]);
  return { process: child, port, bootstrap: `127.0.0.1:${port}`, dataDir, output: () => out, exited, kill };
}
