/**
 * Helpers for Connect integration tests: a `kstream connect standalone` child process (bin/dev, so no
 * build), an in-process worker and the worker settings tests share, a REST call, reading a topic back,
 * and a bounded wait. Everything started here is stopped by closeConnect() (call it in afterAll/afterEach
 * before the broker helpers' closeAll(); closeConnectAndBrokers() does both).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { closeAll, nodeBin, pollFor, repoRoot, waitForLine } from '../helpers/index.ts';
import type { Cluster } from '../../src/client/cluster.ts';
import { Consumer } from '../../src/client/consumer.ts';
import { startStandalone, type StandaloneWorker } from '../../src/connect/standalone.ts';
import type { Props } from '../../src/connect/api.ts';
import type { ConsumerRecord } from '../../src/protocol/records/record-batch.ts';

const cleanups = new Set<() => Promise<void>>();

export const fixtures = join(repoRoot, 'test', 'connect', 'fixtures');

export interface ConnectChild {
  readonly process: ChildProcess;
  readonly url: string;
  output(): string;
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/** A `kstream connect <mode>` child process once it printed its ready line (`ready` matched it). */
export interface SpawnedConnect extends ConnectChild {
  readonly ready: RegExpMatchArray;
}

/**
 * Runs `kstream connect <mode> <args>` (bin/dev: the current sources) in `cwd` and waits for the line
 * `ready` matches. A child that does not get there is killed, and the error carries its output.
 */
export async function spawnConnect(mode: 'standalone' | 'distributed', args: string[], cwd: string, ready: RegExp, timeoutMs: number): Promise<SpawnedConnect> {
  const child = spawn(nodeBin, [join(repoRoot, 'bin/dev'), 'connect', mode, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((res) => child.once('exit', (code, signal) => res(code ?? signal ?? -1)));
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  try {
    const m = await waitForLine(child.stdout!, ready, timeoutMs, exited);
    return { process: child, url: m[1]!, ready: m, output: () => out, exited, kill };
  } catch (e) {
    kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n--- connect ${mode} output ---\n${out}`);
  }
}

/** Runs `kstream connect standalone <args>` in `cwd` and waits for its ready line (the REST URL). */
export async function startConnectChild(cwd: string, args: string[], timeoutMs = 60_000): Promise<ConnectChild> {
  const w = await spawnConnect('standalone', args, cwd, /REST API listening on (http:\/\/\S+),/, timeoutMs);
  const cleanup = async () => {
    cleanups.delete(cleanup);
    w.kill('SIGKILL');
    await w.exited;
  };
  cleanups.add(cleanup);
  return w;
}

/** An in-process standalone worker (REST on an ephemeral port); log lines are collected. */
export async function startWorker(workerProps: Props, connectors: Props[] = []): Promise<StandaloneWorker & { logs: string[] }> {
  const logs: string[] = [];
  const w = await startStandalone({ workerProps, connectors, log: (l) => logs.push(l) });
  const close = w.close;
  const cleanup = async () => {
    cleanups.delete(cleanup);
    await close();
  };
  cleanups.add(cleanup);
  return { url: w.url, herder: w.herder, logs, close: cleanup };
}

export async function closeConnect(): Promise<void> {
  await Promise.allSettled([...cleanups].map((c) => c()));
}

/** For afterAll/afterEach: the workers first (they hold connections to the brokers), then the brokers and temp dirs. */
export async function closeConnectAndBrokers(): Promise<void> {
  await closeConnect();
  await closeAll();
}

/**
 * The standalone worker settings most tests start from: String converters, offsets in `dir` flushed
 * every 200 ms, REST on an ephemeral port. `overrides` replace or add keys (another converter, say).
 */
export function standaloneWorkerProps(bootstrap: string, dir: string, overrides: Props = {}): Props {
  return {
    'bootstrap.servers': bootstrap,
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'offset.storage.file.filename': join(dir, 'offsets'),
    'offset.flush.interval.ms': '200',
    listeners: 'http://127.0.0.1:0',
    ...overrides,
  };
}

/**
 * worker.properties for a worker a test SIGKILLs again and again: its consumer group notices a dead
 * member within seconds, and small fetches make many put/flush cycles, so kills land between a sink's
 * write and its sidecar. `offsetFlushMs` sets how much a source repeats after a kill.
 */
export function killableWorkerProperties(bootstrap: string, dir: string, offsetFlushMs: number): string {
  return [
    `bootstrap.servers=${bootstrap}`,
    'key.converter=org.apache.kafka.connect.storage.StringConverter',
    'value.converter=org.apache.kafka.connect.storage.StringConverter',
    `offset.storage.file.filename=${join(dir, 'connect.offsets')}`,
    `offset.flush.interval.ms=${offsetFlushMs}`,
    'listeners=http://127.0.0.1:0',
    'consumer.session.timeout.ms=2000',
    'consumer.heartbeat.interval.ms=300',
    'consumer.max.poll.interval.ms=5000',
    'consumer.max.partition.fetch.bytes=8192',
  ].join('\n');
}

/** Every record of `topic` (all partitions) from the earliest offset to the current end. */
export async function consumeAll(cluster: Cluster, topic: string): Promise<ConsumerRecord[]> {
  const c = new Consumer(cluster, { start: { type: 'earliest' } });
  c.assign([{ topic }]);
  const out: ConsumerRecord[] = [];
  await c.run((b) => out.push(...b.records), { exitAtEnd: true });
  return out;
}

/** A file's size in bytes, 0 while it does not exist yet. */
export async function fileSize(path: string): Promise<number> {
  return (await stat(path).catch(() => null))?.size ?? 0;
}

/**
 * The length an exactly.once file sink's sidecar (`<file>.position`) records as fsynced, 0 before it
 * exists. A test waiting for the sink to finish waits on this, not on the file's size: a SIGKILLed
 * worker may leave lines past it that the next worker's sink truncates away when it starts.
 */
export async function fsyncedSinkLength(file: string): Promise<number> {
  const text = await readText(`${file}.position`);
  return text === '' ? 0 : (JSON.parse(text) as { fileLength: number }).fileLength;
}

export interface RestReply {
  status: number;
  body: unknown;
  headers: Headers;
}

export async function rest(url: string, method: string, path: string, body?: unknown): Promise<RestReply> {
  const res = await fetch(url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

/** Polls `check` until it returns a value other than undefined/false (a throwing check is "not yet"). */
export function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  return pollFor(what, check, { timeoutMs, intervalMs: 100, retryErrors: true });
}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}
